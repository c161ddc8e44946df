#pragma once
// One instance log (`<service>-<index>.out.log`), appended with whole lines and rotated by size:
// the live file becomes .1, .1 becomes .2, ... and .<keep> is deleted. Writes are synchronous on the
// daemon's loop on purpose: while the disk is slow the loop stops reading the child's pipe, the pipe fills
// and the child blocks in write(), so a child printing faster than the disk can take cannot grow the
// daemon's memory.
#include <cstdint>
#include <filesystem>
#include <string_view>

#include "base/unique_fd.hpp"

namespace corral::supervisor {

class LogFile {
public:
    LogFile(std::filesystem::path path, std::uint64_t max_size, unsigned keep);

    // Appends `lines` (whole lines, each ending in '\n'), rotating between lines so that no file grows
    // past max_size, except a file holding a single longer line.
    void append(std::string_view lines);
    // Creates the file if it does not exist yet, so that an instance that never printed has its logs.
    void create() { open(); }
    // Applies new limits from now on (after a reload).
    void set_limits(std::uint64_t max_size, unsigned keep);

    const std::filesystem::path& path() const { return path_; }

private:
    bool open();
    void rotate();
    bool write_all(std::string_view bytes);
    void report(const char* what, int err);

    std::filesystem::path path_;
    std::uint64_t max_size_;
    unsigned keep_;
    UniqueFd fd_;
    std::uint64_t size_ = 0;
    bool failing_ = false;  // an error was logged and no write has succeeded since
};

}  // namespace corral::supervisor
