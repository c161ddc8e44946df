#include "supervisor/instance/memory_timeline.hpp"

#include <cstdio>

#include "supervisor/postmortem/bundle_format.hpp"

namespace corral::supervisor {
namespace {

std::uint32_t kib(std::uint64_t bytes) {
    const std::uint64_t value = bytes / 1024;
    return value > UINT32_MAX ? UINT32_MAX : static_cast<std::uint32_t>(value);
}

}  // namespace

void MemoryTimeline::add(std::int64_t time_ms, const cgroup::MemoryStats& stats, double write_bytes_per_s) {
    TimelineSample sample;
    sample.time_ms = time_ms;
    sample.current_kib = kib(stats.current);
    sample.anon_kib = kib(stats.anon);
    sample.file_kib = kib(stats.file);
    sample.dirty_kib = kib(stats.dirty);
    sample.writeback_kib = kib(stats.writeback);
    const std::uint64_t refaults = stats.refault_anon + stats.refault_file;
    if (last_refaults_ && time_ms > last_time_ms_ && refaults >= *last_refaults_) {
        sample.refaults_per_s = static_cast<float>(static_cast<double>(refaults - *last_refaults_) * 1000.0 /
                                                   static_cast<double>(time_ms - last_time_ms_));
    }
    last_refaults_ = refaults;
    last_time_ms_ = time_ms;
    if (stats.psi_some_avg10) sample.psi_some = static_cast<float>(*stats.psi_some_avg10);
    if (stats.psi_full_avg10) sample.psi_full = static_cast<float>(*stats.psi_full_avg10);
    sample.write_bytes_per_s = static_cast<float>(write_bytes_per_s);

    if (capacity_ == 0) return;
    if (ring_.size() < capacity_) {
        ring_.push_back(sample);
    } else {
        ring_[next_] = sample;
        next_ = (next_ + 1) % capacity_;
    }
}

std::vector<TimelineSample> MemoryTimeline::samples() const {
    std::vector<TimelineSample> ordered;
    ordered.reserve(ring_.size());
    for (std::size_t i = 0; i < ring_.size(); ++i) ordered.push_back(ring_[(next_ + i) % ring_.size()]);
    return ordered;
}

void MemoryTimeline::set_capacity(std::size_t capacity) {
    std::vector<TimelineSample> ordered = samples();
    if (ordered.size() > capacity) ordered.erase(ordered.begin(), ordered.end() - static_cast<long>(capacity));
    ring_ = std::move(ordered);
    next_ = 0;
    capacity_ = capacity;
}

std::string MemoryTimeline::to_csv() const {
    std::string csv(postmortem::kMemoryCsvHeader);
    csv += '\n';
    char row[256];
    const auto percent = [](float value, char* out, std::size_t size) {
        if (std::isnan(value)) {
            out[0] = '\0';
        } else {
            std::snprintf(out, size, "%.2f", static_cast<double>(value));
        }
    };
    for (const TimelineSample& s : samples()) {
        char some[16];
        char full[16];
        percent(s.psi_some, some, sizeof some);
        percent(s.psi_full, full, sizeof full);
        std::snprintf(row, sizeof row, "%lld,%llu,%llu,%llu,%llu,%llu,%.1f,%s,%s,%.0f\n",
                      static_cast<long long>(s.time_ms), static_cast<unsigned long long>(s.current_kib) * 1024,
                      static_cast<unsigned long long>(s.anon_kib) * 1024,
                      static_cast<unsigned long long>(s.file_kib) * 1024,
                      static_cast<unsigned long long>(s.dirty_kib) * 1024,
                      static_cast<unsigned long long>(s.writeback_kib) * 1024, static_cast<double>(s.refaults_per_s),
                      some, full, static_cast<double>(s.write_bytes_per_s));
        csv += row;
    }
    return csv;
}

}  // namespace corral::supervisor
