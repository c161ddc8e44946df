#pragma once
// The daemon's own process metrics, as every Prometheus client library names them (from /proc/self):
//   process_cpu_seconds_total, process_resident_memory_bytes, process_virtual_memory_bytes,
//   process_open_fds, process_max_fds, process_start_time_seconds
// A figure /proc does not give (a file that cannot be read) is left out, not written as 0.
#include <cstdint>
#include <optional>
#include <string_view>

#include "supervisor/metrics/exposition.hpp"

namespace corral::metrics {

struct ProcessFigures {
    std::optional<double> cpu_seconds;        // user + system
    std::optional<std::uint64_t> resident_bytes;
    std::optional<std::uint64_t> virtual_bytes;
    std::optional<std::uint64_t> open_fds;
    std::optional<std::uint64_t> max_fds;     // the soft RLIMIT_NOFILE
    std::optional<double> start_time_seconds;  // unix time
};

// The fields of a /proc/<pid>/stat line that the figures need, given the clock tick, the page size and the
// boot time (unix seconds); nullopt fields when the line cannot be read.
ProcessFigures parse_proc_stat(std::string_view stat, long ticks_per_second, long page_size, double boot_time);

ProcessFigures read_own_process();
void add_process_metrics(Exposition& exposition, const ProcessFigures& figures);

}  // namespace corral::metrics
