#pragma once
// An append-only file of frames ([u32 little-endian length][bytes] each) that a queue spills to and
// replays from in order. Writes are batched into large sequential writes (64 KiB buffer, flushed when full
// or before a read); reads go through a read buffer. When everything written has been read the file is
// truncated, so a drained journal costs no disk. Kernel-facing: returns Status / Result, never logs.
//
// Invariants: the frames not yet read are file[read_offset_, file_size_) followed by write_buffer_;
// file_size_ only moves past bytes that were all written, so a failed write (ENOSPC, EFBIG, EIO) leaves
// what was already there intact and the frame that failed stays with the caller; the bytes a failed
// write may have left past file_size_ are never read and are overwritten by the next write.
// The file is created (O_TRUNC: nothing survives a restart, a journal is not a persistent queue) on the
// first append, together with its missing parent directories (0700: frames are private data), and
// unlinked by the destructor.
// A read flushes the write buffer only when it needs bytes that are still in it; if that flush fails,
// the frame is served from the write buffer instead, so a full disk never hides frames already taken.
// A file cut short behind the journal's back (a torn frame) is a read error (EBADMSG), never a crash.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "base/sys_result.hpp"
#include "base/unique_fd.hpp"

namespace corral::ipc {

class SpillJournal {
public:
    static constexpr std::size_t buffer_size = 64 * 1024;  // write batch, and the least a read fetches

    explicit SpillJournal(std::filesystem::path path) : path_(std::move(path)) {}
    ~SpillJournal();
    SpillJournal(const SpillJournal&) = delete;
    SpillJournal& operator=(const SpillJournal&) = delete;

    Status append(std::string_view frame);
    // The next frame in order, or nullopt when everything has been read.
    Result<std::optional<std::string>> read_next();
    bool empty() const { return count_ == 0; }
    std::uint64_t count() const { return count_; }       // frames written and not yet read
    std::uint64_t bytes() const { return bytes_; }        // their bytes
    std::uint64_t file_size() const { return file_size_; }  // on disk, including read-but-not-truncated
    const std::filesystem::path& path() const { return path_; }
    // Forgets every frame not yet read (for a journal that cannot be read any more); the file is
    // truncated like a drained one.
    void discard();

private:
    Status open();
    Status flush();
    // Makes read_buffer_[read_pos_, read_pos_ + need) hold the stream's next `need` bytes.
    Status fill(std::size_t need);
    Result<std::optional<std::string>> take_from_write_buffer();
    void drained();
    SysError torn(const std::string& why) const;

    std::filesystem::path path_;
    UniqueFd fd_;
    std::string write_buffer_;
    std::string read_buffer_;
    std::size_t read_pos_ = 0;       // read_buffer_[read_pos_] is the byte at read_offset_
    std::uint64_t read_offset_ = 0;  // in the file
    std::uint64_t file_size_ = 0;    // written to the file (not counting write_buffer_)
    std::uint64_t count_ = 0;
    std::uint64_t bytes_ = 0;
};

}  // namespace corral::ipc
