#include "supervisor/metrics/process_metrics.hpp"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <charconv>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace corral::metrics {
namespace {

std::string read_small_file(const char* path) {
    std::ifstream file(path);
    std::ostringstream text;
    text << file.rdbuf();
    return text.str();
}

// "btime 1764000000" of /proc/stat.
double boot_time() {
    const std::string stat = read_small_file("/proc/stat");
    const auto at = stat.find("\nbtime ");
    return at == std::string::npos ? 0 : std::strtod(stat.c_str() + at + 7, nullptr);
}

std::optional<std::uint64_t> count_open_fds() {
    DIR* dir = ::opendir("/proc/self/fd");
    if (dir == nullptr) return std::nullopt;
    std::uint64_t count = 0;
    while (const dirent* entry = ::readdir(dir)) {
        if (entry->d_name[0] != '.') ++count;
    }
    ::closedir(dir);
    return count > 0 ? count - 1 : 0;  // the directory's own descriptor
}

std::optional<std::uint64_t> to_number(std::string_view field) {
    std::uint64_t value = 0;
    const auto [end, error] = std::from_chars(field.data(), field.data() + field.size(), value);
    if (error != std::errc() || end != field.data() + field.size()) return std::nullopt;
    return value;
}

}  // namespace

ProcessFigures parse_proc_stat(std::string_view stat, long ticks_per_second, long page_size, double boot) {
    ProcessFigures figures;
    // The command (field 2) is in parentheses and may hold spaces and ')': the fields start after the last ')'.
    const auto close = stat.rfind(')');
    if (close == std::string_view::npos || ticks_per_second <= 0) return figures;
    std::vector<std::string_view> fields;  // fields[0] is field 3 (state)
    for (std::size_t at = close + 1; at < stat.size();) {
        while (at < stat.size() && (stat[at] == ' ' || stat[at] == '\n')) ++at;
        const auto end = stat.find_first_of(" \n", at);
        if (at < stat.size()) fields.push_back(stat.substr(at, end == std::string_view::npos ? end : end - at));
        at = end == std::string_view::npos ? stat.size() : end;
    }
    if (fields.size() < 22) return figures;
    const auto field = [&](int number) { return to_number(fields[static_cast<std::size_t>(number - 3)]); };
    const auto utime = field(14);
    const auto stime = field(15);
    if (utime && stime) figures.cpu_seconds = static_cast<double>(*utime + *stime) / static_cast<double>(ticks_per_second);
    if (const auto start = field(22); start && boot > 0) {
        figures.start_time_seconds = boot + static_cast<double>(*start) / static_cast<double>(ticks_per_second);
    }
    figures.virtual_bytes = field(23);
    if (const auto pages = field(24)) figures.resident_bytes = *pages * static_cast<std::uint64_t>(page_size);
    return figures;
}

ProcessFigures read_own_process() {
    ProcessFigures figures = parse_proc_stat(read_small_file("/proc/self/stat"), ::sysconf(_SC_CLK_TCK),
                                             ::sysconf(_SC_PAGESIZE), boot_time());
    figures.open_fds = count_open_fds();
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY) figures.max_fds = limit.rlim_cur;
    return figures;
}

void add_process_metrics(Exposition& exposition, const ProcessFigures& figures) {
    const auto add = [&](std::string_view name, Type type, std::string_view help, const auto& value) {
        Family& family = exposition.family(name, type, help);
        if (value) family.add({}, static_cast<double>(*value));
    };
    add("process_cpu_seconds_total", Type::counter, "Total user and system CPU time spent in seconds.",
        figures.cpu_seconds);
    add("process_resident_memory_bytes", Type::gauge, "Resident memory size in bytes.", figures.resident_bytes);
    add("process_virtual_memory_bytes", Type::gauge, "Virtual memory size in bytes.", figures.virtual_bytes);
    add("process_open_fds", Type::gauge, "Number of open file descriptors.", figures.open_fds);
    add("process_max_fds", Type::gauge, "Maximum number of open file descriptors.", figures.max_fds);
    add("process_start_time_seconds", Type::gauge, "Start time of the process since unix epoch in seconds.",
        figures.start_time_seconds);
}

}  // namespace corral::metrics
