#pragma once
// The arrival times of a log's lines, kept beside it whatever the log's format: `<log>.idx` holds one text
// record "<offset> <unix ms>\n" per batch of lines that arrived together (one read of the child's pipe),
// written only when the millisecond differs from the previous record's. A line's time is that of the last
// record at or before its offset. The index rotates with its log (`<log>.1` has `<log>.1.idx`), so that
// `corral logs` can interleave stdout and stderr by time even when `timestamps = false`.
//
// It costs one small write per batch; an index that cannot be written is logged once and only loses the
// times (the log itself is unaffected).
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "base/unique_fd.hpp"

namespace corral::supervisor {

std::filesystem::path index_path(const std::filesystem::path& log);

class LogIndexWriter {
public:
    explicit LogIndexWriter(std::filesystem::path path) : path_(std::move(path)) {}

    // Lines starting at `offset` of the log arrived at `unix_ms`.
    void note(std::uint64_t offset, std::int64_t unix_ms);
    // The log was rotated or emptied: the next note starts a new index file (already renamed or removed).
    void restart() {
        fd_.reset();
        last_ms_ = -1;
    }
    const std::filesystem::path& path() const { return path_; }

private:
    std::filesystem::path path_;
    UniqueFd fd_;
    std::int64_t last_ms_ = -1;
    bool failing_ = false;
};

struct IndexRecord {
    std::uint64_t offset = 0;
    std::int64_t unix_ms = 0;
};
// The records of an index file, in order; empty when it is missing (lines then have no known time).
std::vector<IndexRecord> read_log_index(const std::filesystem::path& index);
// The time of the line at `offset`: the last record at or before it; 0 when none.
std::int64_t time_at(const std::vector<IndexRecord>& records, std::uint64_t offset);

}  // namespace corral::supervisor
