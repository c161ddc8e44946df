#include "supervisor/instance/cpu_meter.hpp"

#include <spdlog/spdlog.h>

namespace corral::supervisor {

void CpuMeter::sample(const cgroup::Driver& driver, const std::string& group, policies::TimePoint now) {
    if (group != group_) {
        counter_ = {};
        group_ = group;
        unavailable_ = false;
        last_usec_.reset();
        percent_.forget();
    }
    if (!counter_ && !unavailable_) {
        Result<cgroup::CpuUsageCounter> opened = cgroup::CpuUsageCounter::open(driver.cpu_stat_file(group));
        if (!opened) {
            spdlog::debug("{}: no CPU usage: {}", group, opened.error().message());
            unavailable_ = true;
            return;
        }
        counter_ = std::move(*opened);
    }
    if (!counter_) return;
    const Result<std::uint64_t> usec = counter_.read_usec();
    if (!usec) {
        spdlog::debug("{}: {}", group, usec.error().message());
        counter_ = {};  // the group was made again: open it anew at the next tick
        percent_.forget();
        return;
    }
    last_usec_ = *usec;
    percent_.sample(*usec, now);
}

}  // namespace corral::supervisor
