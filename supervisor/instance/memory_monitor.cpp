#include "supervisor/instance/memory_monitor.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace corral::supervisor {
namespace {

// How often a calm tick inside the band still reads the usage counter (one pread).
constexpr policies::Duration kBandLookEvery{5'000};

std::string mib(std::uint64_t bytes) {
    char text[32];
    std::snprintf(text, sizeof text, "%.1fMiB", static_cast<double>(bytes) / (1 << 20));
    return text;
}

// "memory thrashing over the last 10.0s: PSI full 12.3% (threshold 50%), 150012 refaults/s".
std::string thrash_evidence(const policies::ThrashParams& params, const policies::ThrashMeasure& measure) {
    char full[64] = "no PSI";
    if (measure.full_percent) std::snprintf(full, sizeof full, "PSI full %.1f%%", *measure.full_percent);
    char why[200];
    std::snprintf(why, sizeof why, "memory thrashing over the last %.1fs: %s (threshold %u%%), %.0f refaults/s",
                  std::chrono::duration<double>(measure.span).count(), full, params.full_percent,
                  measure.refaults_per_s);
    return why;
}

void drain(int fd) {
    char buffer[4096];
    while (::read(fd, buffer, sizeof buffer) > 0) {
    }
}

}  // namespace

MemoryMonitor::MemoryMonitor(uv_loop_t* loop, cgroup::Driver& driver, std::string instance, std::string group,
                             Owner& owner, std::size_t timeline_capacity)
    : loop_(loop),
      driver_(driver),
      instance_(std::move(instance)),
      group_(std::move(group)),
      owner_(owner),
      timeline_(timeline_capacity),
      thresholds_(loop, driver, instance_, group_, [this] { owner_.on_memory_threshold(); },
                  [this](bool ok) { thresholds_armed_ = thresholds_armed_ && ok; }),
      band_thresholds_(
          loop, driver, instance_, group_,
          [this] {
              moved_ = true;
              band_armed_ = false;
              band_thresholds_.disarm();
          },
          [this](bool ok) {
              band_armed_ = band_armed_ && ok;
              check_band();
          }) {
    if (Result<cgroup::UsageCounter> usage = cgroup::UsageCounter::open(driver_.usage_file(group_))) {
        usage_ = std::move(*usage);
    } else {
        spdlog::debug("{}: its memory is read in full at every sample: {}", instance_, usage.error().message());
    }
    Result<int> fd = driver_.open_oom_watch(group_);
    if (!fd) {
        spdlog::warn("{}: out-of-memory events are not watched: {}", instance_, fd.error().message());
        return;
    }
    oom_fd_.reset(*fd);
    if (oom_poll_.init(uv_poll_init, loop_, oom_fd_.get()) == 0) {
        oom_poll_.get()->data = this;
        uv_poll_start(oom_poll_.get(), UV_READABLE, on_oom_ready);
    }
}

void MemoryMonitor::start_incarnation(const policies::MemoryWatch& watch) {
    watch_ = watch;
    thrash_.reset();
    acted_ = false;
    snapshot_taken_ = false;
    oom_event_seen_ = false;
    stat_at_oom_.clear();
    pacing_.reset();
    std::optional<std::uint64_t> max;
    if (last_) {
        max = last_->max;
    } else if (watch_.restart_at || watch_.snapshot_at) {
        if (Result<cgroup::MemoryStats> stats = driver_.memory(group_)) max = stats->max;
    }
    arm_thresholds(max);
    Result<std::uint64_t> kills = driver_.oom_kills(group_);
    oom_kills_at_start_ = kills ? *kills : 0;
    if (Status reset = driver_.reset_peak(group_); !reset) spdlog::debug("{}: {}", instance_, reset.error().message());
}

void MemoryMonitor::on_oom_ready(uv_poll_t* poll, int, int) { static_cast<MemoryMonitor*>(poll->data)->handle_oom_ready(); }

void MemoryMonitor::handle_oom_ready() {
    drain(oom_fd_.get());
    Result<std::uint64_t> kills = driver_.oom_kills(group_);
    if (!kills) {
        // The group is gone (the eventfd also fires when its cgroup is removed).
        oom_poll_.close();
        return;
    }
    if (*kills <= oom_kills_at_start_ && oom_event_seen_) {
        // v2: memory.events moved (high, max) without a kill; under memory.high that may be many times a
        // second, so the next tick reads in full rather than every event.
        moved_ = true;
        return;
    }
    oom_event_seen_ = true;
    if (Result<std::string> stat = driver_.memory_stat(group_)) stat_at_oom_ = std::move(*stat);
    spdlog::warn("{}: out of memory in its cgroup (oom_kill {} -> {})", instance_, oom_kills_at_start_, *kills);
    owner_.on_oom_event();
}

bool MemoryMonitor::tick(policies::TimePoint now, bool eager, bool counter) {
    current_.reset();
    if (band_armed_ && thresholds_armed_ && last_ && !eager && !counter && !moved_ && !pacing_.pressed()) {
        // Inside the band: usage is within moved_bytes of the last full reading.
        // Movement and the thresholds are the kernel's to report: the calm reading can wait longer. But not
        // blind: an instance restarted after a thrashing kill once went unread for minutes while its usage
        // climbed to its limit and it thrashed again, no crossing heard (the fault test, 2 runs in 4); the
        // counter is looked at against the band now and then.
        if (now - band_looked_ >= kBandLookEvery) {
            band_looked_ = now;
            check_band();
            if (moved_) return true;
        }
        policies::MemoryPacingParams watched;
        watched.calm_every = policies::kWatchedCalmEvery;
        return pacing_.full_read_due(watched, last_->current, now);
    }
    if (usage_) {
        if (Result<std::uint64_t> current = usage_.read()) current_ = *current;
    }
    return eager || moved_ || pacing_.full_read_due(policies::MemoryPacingParams{}, current_, now);
}

MemoryMonitor::Verdict MemoryMonitor::check_usage() {
    if (!current_ || !last_ || acted_) return {};
    return check_thresholds(*current_, last_->max);
}

std::optional<cgroup::MemoryStats> MemoryMonitor::latest() const {
    std::optional<cgroup::MemoryStats> stats = last_;
    if (stats && current_) stats->current = *current_;
    return stats;
}

MemoryMonitor::Verdict MemoryMonitor::sample(const cgroup::MemoryStats& stats, std::uint64_t written_bytes_total,
                                             std::int64_t now_ms, policies::TimePoint now) {
    double write_rate = 0;
    if (last_written_ && written_bytes_total >= *last_written_ && now_ms > last_written_ms_) {
        write_rate = static_cast<double>(written_bytes_total - *last_written_) * 1000.0 /
                     static_cast<double>(now_ms - last_written_ms_);
    }
    last_written_ = written_bytes_total;
    last_written_ms_ = now_ms;
    timeline_.add(now_ms, stats, write_rate);
    const auto shown = [](cgroup::MemoryStats s) {
        s.psi_some_avg10.reset();
        s.psi_full_avg10.reset();
        s.psi_full_total_us.reset();
        return s;
    };
    changed_ = !last_ || shown(*last_) != shown(stats) || write_rate != write_rate_;
    moved_ = false;
    last_ = stats;
    current_ = stats.current;
    write_rate_ = write_rate;
    pacing_.on_full_read(policies::MemoryPacingParams{},
                         {now, stats.current, stats.max, stats.psi_full_total_us, stats.refault_anon + stats.refault_file,
                          stats.limit_hits});
    if (acted_) return {};

    const policies::ThrashSample pressure{now, stats.psi_full_total_us, stats.refault_anon + stats.refault_file};
    if (const auto thrashing = thrash_.on_sample(watch_.thrashing, pressure)) {
        acted_ = true;
        thresholds_.disarm();
        arm_band(stats.current);
        return {Action::kill_thrashing, thrash_evidence(watch_.thrashing, *thrashing)};
    }
    const Verdict verdict = check_thresholds(stats.current, stats.max);
    if (!acted_) arm_thresholds(stats.max);
    arm_band(stats.current);
    return verdict;
}

MemoryMonitor::Verdict MemoryMonitor::check_thresholds(std::uint64_t current, std::optional<std::uint64_t> max) {
    if (watch_.restart_at) {
        if (const auto limit = watch_.restart_at->resolve(max); limit && current >= *limit) {
            acted_ = true;
            thresholds_.disarm();
            return {Action::restart, "memory " + mib(current) + " reached memory.restart_at " + mib(*limit)};
        }
    }
    if (watch_.snapshot_at && !snapshot_taken_) {
        if (const auto limit = watch_.snapshot_at->resolve(max); limit && current >= *limit) {
            snapshot_taken_ = true;
            arm_thresholds(max);
            return {Action::snapshot, "memory " + mib(current) + " reached memory.snapshot_at " + mib(*limit)};
        }
    }
    return {};
}

// What is still to be watched this incarnation, armed in the kernel where it can tell.
void MemoryMonitor::arm_thresholds(std::optional<std::uint64_t> max) {
    std::vector<std::uint64_t> bytes;
    if (!acted_ && watch_.restart_at) {
        if (const auto limit = watch_.restart_at->resolve(max)) bytes.push_back(*limit);
    }
    if (!acted_ && watch_.snapshot_at && !snapshot_taken_) {
        if (const auto limit = watch_.snapshot_at->resolve(max)) bytes.push_back(*limit);
    }
    thresholds_armed_ = thresholds_.arm(std::move(bytes));
}

void MemoryMonitor::arm_band(std::uint64_t current) {
    const std::uint64_t moved = policies::MemoryPacingParams{}.moved_bytes;
    const std::uint64_t low = current > moved ? current - moved : 1;
    const std::uint64_t high = current + moved;
    band_ = {low, high};
    band_armed_ = band_thresholds_.arm({low, high});
    if (!band_thresholds_.registering()) check_band();
}

// The kernel reports crossings only: usage that left the band between the reading and the registration
// would never be reported, and status would keep the old figure.
void MemoryMonitor::check_band() {
    if (!band_armed_ || !usage_) return;
    if (Result<std::uint64_t> now = usage_.read(); now && (*now < band_.first || *now > band_.second)) moved_ = true;
}

}  // namespace corral::supervisor
