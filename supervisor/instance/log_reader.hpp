#pragma once
// Reading an instance's logs back, for `corral logs` (through the daemon, or from the files when no daemon
// runs): the last lines of a log and of its rotated files, each with its arrival time (from the log's index,
// log_index.hpp, or from the line itself in the json format), and several logs merged in time order.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace corral::supervisor {

struct LogLine {
    std::int64_t unix_ms = 0;  // 0: unknown (a log written before indexes existed)
    std::string instance;      // "api#0"
    std::string stream;        // "out" or "err"
    std::string line;          // without its newline; the text of a json-format line
};

struct LogQuery {
    unsigned lines = 100;                 // at most this many of the log, the last ones
    std::optional<std::int64_t> since_ms;  // only lines that arrived at or after this time
};

// The last lines of `log` (`<dir>/api-0.out.log`, then `.1`, `.2`, ...), oldest first, each read at most
// 256 KiB back per file. A json-format line gives its own time, stream and instance.
std::vector<LogLine> read_log(const std::filesystem::path& log, std::string_view instance, std::string_view stream,
                              const LogQuery& query);
// One line of a log (without its newline) of `instance`'s `stream`, arrived at `unix_ms`; a json-format
// line gives its own text, time, stream and instance.
LogLine decode_log_line(std::string_view text, std::string_view instance, std::string_view stream,
                        std::int64_t unix_ms);
// Every line of `logs` (each oldest first), in time order; equal times keep the order of `logs`.
std::vector<LogLine> merge_by_time(const std::vector<std::vector<LogLine>>& logs);

// "2026-11-25T13:15:00.123Z" (or without the milliseconds) as unix milliseconds; nullopt if it is not one.
std::optional<std::int64_t> parse_iso_utc(std::string_view text);
std::string iso_utc_ms(std::int64_t unix_ms);

}  // namespace corral::supervisor
