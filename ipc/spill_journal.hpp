#pragma once
// An append-only file of frames ([u32 little-endian length][bytes] each) that a queue spills to and
// replays from in order. Writes are batched into large sequential writes (64 KiB buffer, flushed when full
// or before a read); reads go through a read buffer. When everything written has been read the file is
// truncated, so a drained journal costs no disk. Kernel-facing: returns Status / Result, never logs.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "supervisor/sys_result.hpp"
#include "supervisor/unique_fd.hpp"

namespace corral::ipc {

class SpillJournal {
public:
    explicit SpillJournal(std::filesystem::path path) : path_(std::move(path)) {}
    ~SpillJournal();
    SpillJournal(const SpillJournal&) = delete;
    SpillJournal& operator=(const SpillJournal&) = delete;

    supervisor::Status append(std::string_view frame);
    // The next frame in order, or nullopt when everything has been read.
    supervisor::Result<std::optional<std::string>> read_next();
    bool empty() const { return count_ == 0; }
    std::uint64_t count() const { return count_; }       // frames written and not yet read
    std::uint64_t bytes() const { return bytes_; }        // their bytes
    std::uint64_t file_size() const { return file_size_; }  // on disk, including read-but-not-truncated
    const std::filesystem::path& path() const { return path_; }

private:
    supervisor::Status open();
    supervisor::Status flush();

    std::filesystem::path path_;
    supervisor::UniqueFd fd_;
    std::string write_buffer_;
    std::string read_buffer_;
    std::uint64_t read_offset_ = 0;  // in the file
    std::uint64_t file_size_ = 0;    // written to the file (not counting write_buffer_)
    std::uint64_t count_ = 0;
    std::uint64_t bytes_ = 0;
};

}  // namespace corral::ipc
