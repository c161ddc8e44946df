#pragma once
// One instance log (`<service>-<index>.out.log`), appended with whole lines and rotated by size:
// the live file becomes .1, .1 becomes .2, ... and .<keep> is deleted. Writes are synchronous on the
// daemon's loop on purpose: while the disk is slow the loop stops reading the child's pipe, the pipe fills
// and the child blocks in write(), so a child printing faster than the disk can take cannot grow the
// daemon's memory. Every batch's arrival time goes to the log's index (log_index.hpp); in the json format
// each line is written as {"time","stream","instance","line"}.
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "base/unique_fd.hpp"
#include "supervisor/instance/log_index.hpp"

namespace corral::supervisor {

class LogFile {
public:
    // `instance` ("api#0") and `stream` ("out"/"err") name the lines in the json format.
    LogFile(std::filesystem::path path, std::uint64_t max_size, unsigned keep, std::string instance = {},
            std::string stream = {});

    // Appends `lines` (whole lines, each ending in '\n'), rotating between lines so that no file grows
    // past max_size, except a file holding a single longer line.
    void append(std::string_view lines);
    // Creates the file if it does not exist yet, so that an instance that never printed has its logs.
    void create() { open(); }
    // Applies new limits from now on (after a reload).
    void set_limits(std::uint64_t max_size, unsigned keep);
    // From now on, lines are written as JSON objects (true) or as they came.
    void set_json(bool json) { json_ = json; }
    // Empties the log: the live file is truncated, rotated files and the indexes are removed.
    void flush();

    const std::filesystem::path& path() const { return path_; }

private:
    bool open();
    void rotate();
    bool write_all(std::string_view bytes);
    void write_lines(std::string_view lines);
    void report(const char* what, int err);

    std::filesystem::path path_;
    std::uint64_t max_size_;
    unsigned keep_;
    UniqueFd fd_;
    std::uint64_t size_ = 0;
    LogIndexWriter index_;
    std::string instance_;
    std::string stream_;
    bool json_ = false;
    bool failing_ = false;  // an error was logged and no write has succeeded since
};

}  // namespace corral::supervisor
