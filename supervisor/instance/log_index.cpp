#include "supervisor/instance/log_index.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>

namespace corral::supervisor {

std::filesystem::path index_path(const std::filesystem::path& log) { return log.string() + ".idx"; }

void LogIndexWriter::note(std::uint64_t offset, std::int64_t unix_ms) {
    if (unix_ms == last_ms_) return;
    if (!fd_) {
        const int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
        if (fd < 0) {
            if (!failing_) spdlog::warn("log index {}: cannot open: {}", path_.string(), std::strerror(errno));
            failing_ = true;
            return;
        }
        fd_.reset(fd);
    }
    char record[48];
    const int n = std::snprintf(record, sizeof record, "%llu %lld\n", static_cast<unsigned long long>(offset),
                                static_cast<long long>(unix_ms));
    if (::write(fd_.get(), record, static_cast<std::size_t>(n)) != n) {
        if (!failing_) spdlog::warn("log index {}: cannot write: {}", path_.string(), std::strerror(errno));
        failing_ = true;
        return;
    }
    failing_ = false;
    last_ms_ = unix_ms;
}

std::vector<IndexRecord> read_log_index(const std::filesystem::path& index) {
    std::vector<IndexRecord> records;
    std::ifstream in(index);
    // Line by line: a record cut short (a full disk) spoils its own line only.
    for (std::string line; std::getline(in, line);) {
        unsigned long long offset = 0;
        long long ms = 0;
        char extra = 0;
        if (std::sscanf(line.c_str(), "%llu %lld %c", &offset, &ms, &extra) != 2) continue;
        if (!records.empty() && offset < records.back().offset) continue;  // keeps the records sorted
        records.push_back({offset, ms});
    }
    return records;
}

std::int64_t time_at(const std::vector<IndexRecord>& records, std::uint64_t offset) {
    const auto after = std::upper_bound(records.begin(), records.end(), offset,
                                        [](std::uint64_t at, const IndexRecord& record) { return at < record.offset; });
    return after == records.begin() ? 0 : std::prev(after)->unix_ms;
}

}  // namespace corral::supervisor
