#pragma once
// An append-only file of frames that a queue spills to and replays from in order, and that outlives the
// daemon: the next daemon on the same state directory recovers it (recover()) and replays what was not
// delivered. Format (ipc/journal_format.hpp): a header with the delivered/received mark, then records
// [length][CRC-32][seq][bytes]. Writes are batched into large sequential writes (64 KiB buffer, flushed
// when full, before a read, or by flush()); reads go through a read buffer. When everything written has
// been read the file is truncated to its header, so a drained journal costs no disk. Kernel-facing: returns
// Status / Result, never logs.
//
// Invariants: the frames not yet read are file[read_offset_, file_size_) followed by write_buffer_;
// file_size_ only moves past bytes that were all written, so a failed write (ENOSPC, EFBIG, EIO) leaves
// what was already there intact and the frame that failed stays with the caller; the bytes a failed
// write may have left past file_size_ are never read and are overwritten by the next write (and, after a
// crash, fail their checksum or seq: a torn tail, cut by recover()).
// The file is created on the first append when recover() found none, together with its missing parent
// directories (0700: frames are private data). The destructor removes it only when it holds no frame that
// was not read: a journal with frames left stays on disk for the next daemon.
// A read flushes the write buffer only when it needs bytes that are still in it; if that flush fails,
// the frame is served from the write buffer instead, so a full disk never hides frames already taken.
// A file cut short behind the journal's back (a torn frame) is a read error (EBADMSG), never a crash.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/sys_result.hpp"
#include "base/unique_fd.hpp"
#include "ipc/journal_format.hpp"

namespace corral::ipc {

// What recover() found in a journal left by an earlier daemon.
struct JournalRecovery {
    bool found = false;
    std::uint64_t records = 0;    // not delivered: replayed, in order, before anything new
    std::uint64_t bytes = 0;      // their bytes
    std::uint64_t skipped = 0;    // records the mark says were delivered already
    std::uint64_t torn_bytes = 0;  // cut from the end: a record torn by a crash or failing its checksum
    std::string torn_why;          // empty when nothing was cut
    // At most this many frames the previous daemon had taken were handled by no receiver and are not in the
    // file: held in its memory when it died, or delivered and not yet handled by a receiver that died with
    // it (0 after a clean shutdown).
    std::uint64_t lost = 0;
    bool mark_unreadable = false;  // the mark failed its checksum: everything in the file is replayed
    std::uint64_t last_seq = 0;    // the highest seq the previous daemon gave out, as far as the file knows
};

// Frames with their seqs, for persist().
using SeqFrames = std::vector<std::pair<std::uint64_t, std::string_view>>;

class SpillJournal {
public:
    static constexpr std::size_t buffer_size = 64 * 1024;  // write batch, and the least a read fetches

    explicit SpillJournal(std::filesystem::path path) : path_(std::move(path)) {}
    ~SpillJournal();
    SpillJournal(const SpillJournal&) = delete;
    SpillJournal& operator=(const SpillJournal&) = delete;

    // Opens the journal an earlier daemon left at path(), if any: checks every record, cuts a torn or
    // corrupt tail (ftruncate), and positions reads after what the mark says was delivered. A file that is
    // not a journal is an error (EBADMSG) and is left alone. Call before anything else.
    Result<JournalRecovery> recover();

    // Appends a frame with its seq (strictly above every seq appended before); `append(frame)` takes the
    // next seq after the last one.
    Status append(std::string_view frame, std::uint64_t seq);
    Status append(std::string_view frame) { return append(frame, last_seq_ + 1); }
    // Writes the write buffer to the file.
    Status flush();
    // Writes the mark into the file's header (only when the file exists and the mark changed).
    Status write_mark(const journal::Mark& mark);
    // The next frame in order, or nullopt when everything has been read; read_seq() is its seq.
    Result<std::optional<std::string>> read_next();
    std::uint64_t read_seq() const { return read_seq_; }
    std::uint64_t last_seq() const { return last_seq_; }

    // The way out: writes `before`, then every frame not yet read, then `after` into a new file that
    // replaces this one (fsync'd, then renamed into place), with a clean mark. On success the journal holds
    // all of them, unread. With nothing to keep, the file is removed.
    Status persist(const SeqFrames& before, const SeqFrames& after, std::uint64_t delivered);

    bool empty() const { return count_ == 0; }
    bool is_open() const { return static_cast<bool>(fd_); }
    std::uint64_t count() const { return count_; }       // frames written and not yet read
    std::uint64_t bytes() const { return bytes_; }        // their bytes
    std::uint64_t file_size() const { return file_size_; }  // on disk, including read-but-not-truncated
    const std::filesystem::path& path() const { return path_; }
    // Forgets every frame not yet read (for a journal that cannot be read any more); the file is
    // truncated like a drained one.
    void discard();

private:
    Status open();
    Status write_header();  // once per file, before anything else reaches it
    // Makes read_buffer_[read_pos_, read_pos_ + need) hold the stream's next `need` bytes.
    Status fill(std::size_t need);
    Result<std::optional<std::string>> take_from_write_buffer();
    void drained();
    SysError torn(const std::string& why) const;
    // recover(): reads the records of file[from, size) and keeps the intact run.
    Status scan(std::uint64_t size, JournalRecovery& found, const journal::Mark& mark);
    // persist(): the new file's bytes after its header.
    Status write_persisted(int fd, const SeqFrames& before, const SeqFrames& after, std::uint64_t& size);

    std::filesystem::path path_;
    UniqueFd fd_;
    std::string write_buffer_;
    std::string read_buffer_;
    std::size_t read_pos_ = 0;       // read_buffer_[read_pos_] is the byte at read_offset_
    std::uint64_t read_offset_ = 0;  // in the file
    std::uint64_t file_size_ = 0;    // written to the file (not counting write_buffer_)
    std::uint64_t count_ = 0;
    std::uint64_t bytes_ = 0;
    std::uint64_t last_seq_ = 0;  // of the last frame appended (or recovered)
    std::uint64_t read_seq_ = 0;  // of the last frame read
    journal::Mark mark_;          // as last written to the file
    bool header_written_ = true;  // false from open() until the header is on disk
};

}  // namespace corral::ipc
