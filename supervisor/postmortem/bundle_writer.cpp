#include "supervisor/postmortem/bundle_writer.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>
#include <vector>

#include "base/file_text.hpp"
#include "base/unique_fd.hpp"
#include "base/instance_name.hpp"
#include "base/text_format.hpp"
#include "policies/error_throttle.hpp"
#include "policies/signal_names.hpp"
#include "supervisor/postmortem/bundle_format.hpp"

namespace corral::supervisor::postmortem {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

json optional_number(const std::optional<std::uint64_t>& value) { return value ? json(*value) : json(nullptr); }

Status write_text(const fs::path& file, const std::string& text) {
    UniqueFd fd(::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (!fd) return sys_error("write", file.string());
    for (std::size_t done = 0; done < text.size();) {
        const ssize_t n = ::write(fd.get(), text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return sys_error("write", file.string(), n < 0 ? errno : EIO);
        done += static_cast<std::size_t>(n);
    }
    if (::close(fd.release()) != 0 && errno != EINTR) return sys_error("write", file.string());
    return {};
}

// The bundle's "<name>.tmp" directory: removed with what is in it unless it was renamed into place, so
// that a failure (a full disk) leaves nothing half-written behind.
class TempDirGuard {
public:
    explicit TempDirGuard(fs::path dir) : dir_(std::move(dir)) {}
    ~TempDirGuard() {
        if (dir_.empty()) return;
        std::error_code ec;
        fs::remove_all(dir_, ec);
    }
    TempDirGuard(const TempDirGuard&) = delete;
    TempDirGuard& operator=(const TempDirGuard&) = delete;
    void keep() { dir_.clear(); }

private:
    fs::path dir_;
};

std::uint64_t tree_size(const fs::path& dir) {
    std::uint64_t total = 0;
    std::error_code ec;
    for (const auto& entry : fs::recursive_directory_iterator(dir, ec)) {
        if (entry.is_regular_file(ec)) total += entry.file_size(ec);
    }
    return total;
}

// Complete bundles of one instance directory, oldest first (names start with the UTC time).
std::vector<fs::path> bundles_in(const fs::path& instance_dir) {
    std::vector<fs::path> bundles;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(instance_dir, ec)) {
        if (entry.is_directory(ec) && !entry.path().filename().string().ends_with(kTempSuffix)) {
            bundles.push_back(entry.path());
        }
    }
    std::sort(bundles.begin(), bundles.end(), [](const fs::path& a, const fs::path& b) { return a.filename() < b.filename(); });
    return bundles;
}

void apply_retention(const fs::path& root, const fs::path& instance_dir, const fs::path& newest,
                     const config::PostmortemSpec& retention) {
    std::error_code ec;
    std::vector<fs::path> mine = bundles_in(instance_dir);
    while (mine.size() > retention.keep) {
        fs::remove_all(mine.front(), ec);
        mine.erase(mine.begin());
    }
    // The size cap over every instance: the oldest bundles go first, wherever they are.
    std::vector<std::pair<fs::path, std::uint64_t>> all;
    std::uint64_t total = 0;
    for (const auto& entry : fs::directory_iterator(root, ec)) {
        if (!entry.is_directory(ec)) continue;
        for (const fs::path& bundle : bundles_in(entry.path())) {
            const std::uint64_t size = tree_size(bundle);
            all.emplace_back(bundle, size);
            total += size;
        }
    }
    std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.first.filename() < b.first.filename(); });
    for (const auto& [bundle, size] : all) {
        if (total <= retention.max_size) break;
        if (bundle == newest) continue;
        fs::remove_all(bundle, ec);
        total -= size;
    }
}

// "<time>-<reason>", or "<time>-<reason>-2", -3, ... when an earlier death took that name already.
std::string unused_bundle_name(const fs::path& instance_dir, const std::string& base) {
    std::string name = base;
    std::error_code ec;
    for (int n = 2; fs::exists(instance_dir / name, ec); ++n) name = base + "-" + std::to_string(n);
    return name;
}

// The bundle's text files (an empty one is left out); returns the names written.
Result<std::vector<std::string>> write_files(const BundleInput& input, const fs::path& temp_dir) {
    std::vector<std::string> files;
    for (const auto& [file, text] : std::initializer_list<std::pair<std::string_view, std::string>>{
             {kKernelLog, input.kernel_log},
             {kMemoryStat, input.memory_stat},
             {kMemoryCsv, input.memory_csv},
             {kStdoutTail, input.stdout_tail ? *input.stdout_tail : tail_lines(input.stdout_log, kTailLines)},
             {kStderrTail, input.stderr_tail ? *input.stderr_tail : tail_lines(input.stderr_log, kTailLines)}}) {
        if (text.empty()) continue;
        if (Status written = write_text(temp_dir / file, text); !written) return written.error();
        files.emplace_back(file);
    }
    return files;
}

// Node's own diagnostics (heap snapshots, fatal-error reports) move in whole; adds their names to `files`.
void move_diagnostics(const fs::path& diagnostics_dir, const fs::path& temp_dir, std::vector<std::string>& files) {
    if (diagnostics_dir.empty()) return;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(diagnostics_dir, ec)) {
        if (!entry.is_regular_file(ec)) continue;
        const fs::path target = temp_dir / entry.path().filename();
        fs::rename(entry.path(), target, ec);
        if (!ec) files.push_back(entry.path().filename().string());
    }
}

// summary.json (bundle_format.hpp).
json summary_json(const BundleInput& input, const std::string& id, const std::string& reason,
                  const std::vector<std::string>& files) {
    const auto uptime = std::chrono::duration_cast<std::chrono::milliseconds>(input.ended_at - input.started_at);
    return {
        {"version", kSummaryVersion},
        {"id", id},
        {"service", input.service},
        {"index", input.index},
        {"pid", input.pid},
        {"reason", reason},
        {"evidence", input.classification.evidence},
        {"exit",
         {{"code", input.status.signal == 0 && !input.status.spawn_failed ? json(input.status.code) : json(nullptr)},
          {"signal", input.status.signal != 0 ? json(policies::signal_name(input.status.signal)) : json(nullptr)}}},
        {"started_at", iso_utc(input.started_at)},
        {"ended_at", iso_utc(input.ended_at)},
        {"uptime_ms", uptime.count()},
        {"restarts", input.restarts},
        {"deaths_not_bundled", input.deaths_not_bundled},
        {"limits",
         {{"memory_max", optional_number(input.limits.memory.max)},
          {"memory_high", optional_number(input.limits.memory.high)},
          {"swap_max", optional_number(input.limits.memory.swap_max)},
          {"pids_max", optional_number(input.limits.pids.max)},
          {"cpu_weight", input.limits.cpu.weight ? json(*input.limits.cpu.weight) : json(nullptr)},
          {"cpu_max_percent", input.limits.cpu.max_percent ? json(*input.limits.cpu.max_percent) : json(nullptr)}}},
        {"memory", {{"peak", optional_number(input.peak)}, {"last", optional_number(input.last)}, {"max", optional_number(input.max)}}},
        {"files", files},
    };
}

}  // namespace

Result<std::string> write_bundle(const BundleInput& input, const config::PostmortemSpec& retention) {
    const std::string reason(policies::to_string(input.classification.reason));
    const std::string instance_dir_name = instance_file_name(input.service, input.index);
    const fs::path root = input.state_dir / kDirectory;
    const fs::path instance_dir = root / instance_dir_name;
    const std::string name = unused_bundle_name(instance_dir, compact_utc(input.ended_at) + "-" + reason);
    const fs::path final_dir = instance_dir / name;
    const fs::path temp_dir = instance_dir / (name + std::string(kTempSuffix));
    std::error_code ec;
    fs::create_directories(temp_dir, ec);
    if (ec) return sys_error("create", temp_dir.string(), ec.value());
    TempDirGuard guard(temp_dir);

    Result<std::vector<std::string>> files = write_files(input, temp_dir);
    if (!files) return files.error();
    move_diagnostics(input.diagnostics_dir, temp_dir, *files);
    const json summary = summary_json(input, instance_dir_name + "/" + name, reason, *files);
    if (Status written = write_text(temp_dir / kSummary, summary.dump(2) + "\n"); !written) return written.error();
    fs::rename(temp_dir, final_dir, ec);
    if (ec) return sys_error("rename", temp_dir.string(), ec.value());
    guard.keep();
    apply_retention(root, instance_dir, final_dir, retention);
    return instance_dir_name + "/" + name;
}

namespace {

policies::ErrorThrottle& failure_throttle() {
    static policies::ErrorThrottle throttle;
    return throttle;
}

}  // namespace

void log_bundle_failure(const std::string& instance, const SysError& error) {
    const policies::ThrottleVerdict verdict = failure_throttle().failed(std::to_string(error.code), policies::Clock::now());
    if (!verdict.log) return;
    spdlog::error("{}: no post-mortem: {}{}", instance, error.message(),
                  verdict.suppressed > 0 ? " (" + std::to_string(verdict.suppressed) + " more post-mortem(s) lost since the last report)"
                                         : std::string("; further failures like it are reported once a minute"));
}

void log_bundle_written() {
    if (const policies::ThrottleVerdict verdict = failure_throttle().succeeded(); verdict.log) {
        spdlog::info("post-mortems are written again");
    }
}

}  // namespace corral::supervisor::postmortem
