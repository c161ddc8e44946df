#pragma once
// An append-only file of frames that a queue spills to and replays from in order, and that outlives the
// daemon: the next daemon on the same state directory recovers it (recover()) and replays what was not
// delivered. Format (ipc/journal_format.hpp): a header with the delivered/received mark, then records
// [length][CRC-32][seq][bytes]. Writes are batched into large sequential writes (64 KiB buffer, flushed
// when full, before a read, or by flush()); reads go through a read buffer. When everything written has
// been read the file is truncated to its header, so a drained journal costs no disk. Kernel-facing: returns
// Status / Result, never logs.
//
// With a JournalWriter, a flushed batch goes to the writer's thread and stays in memory (`unwritten_`)
// until it is written; reads of its bytes are served from there. Without one (tests, tools), batches are
// written inline, by the same rules (ipc/journal_writer.hpp). unwritten_bytes() says how far the disk is
// behind; settle() lets go of what was written and learns of failed writes.
//
// Invariants: the frames not yet read are file[read_offset_, file_size_) followed by write_buffer_, where
// the file's bytes from the first unwritten batch on are in `unwritten_` (contiguous, up to file_size_).
// A failed write (ENOSPC, EFBIG, EIO) leaves what was already written intact: its batch stays in memory,
// the next append says why (that frame stays with the caller), and the batches are submitted again from
// the first one not written once everything submitted was tried; the bytes a failed write may have left
// are overwritten by the retry (and, after a crash, fail their checksum or seq: a torn tail, cut by
// recover()).
// The file is created on the first append when recover() found none, together with its missing parent
// directories (0700: frames are private data). The destructor removes it only when it holds no frame that
// was not read: a journal with frames left stays on disk for the next daemon.
// A read flushes the write buffer only when it needs bytes that are still in it; if that flush fails,
// the frame is served from the write buffer instead, so a full disk never hides frames already taken.
// A file cut short behind the journal's back (a torn frame) is a read error (EBADMSG), never a crash.
#include <cstddef>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/sys_result.hpp"
#include "base/unique_fd.hpp"
#include "ipc/journal_format.hpp"
#include "ipc/journal_writer.hpp"

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

    // `writer` (optional, outlives the journal) takes the writes off the caller's thread.
    explicit SpillJournal(std::filesystem::path path, JournalWriter* writer = nullptr)
        : path_(std::move(path)), writer_(writer) {}
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
    // Hands the write buffer to the file (with a writer: queued; the error is that of a write found
    // failed, if any).
    Status flush();
    // Blocks until every batch handed over so far was tried by the writer (durable queues, shutdown).
    void wait_written();
    // Lets go of the batches the writer has written, and learns whether one failed.
    void settle();
    // Bytes handed to the file and not written yet (as of the last settle()).
    std::uint64_t unwritten_bytes() const { return unwritten_bytes_; }
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
    std::uint64_t file_size() const { return file_size_; }  // handed over, including read-but-not-truncated
    const std::filesystem::path& path() const { return path_; }
    // Forgets every frame not yet read (for a journal that cannot be read any more); the file is
    // truncated like a drained one.
    void discard();

private:
    struct Batch {
        std::uint64_t offset;
        std::shared_ptr<const std::string> bytes;
    };

    Status open();
    // Starts tracking the writes of fd_, of which the first `written` bytes are on disk.
    void track(std::uint64_t written);
    // Hands `bytes` over, to be written at file_size_.
    void hand_over(std::string bytes);
    void submit(WriteOp op);
    // The error of a batch that failed, once seen by settle(); submits the batches again when the writer
    // has tried everything it had.
    Status write_error();
    // Copies file[from, from + size) into `into`, from the disk and from `unwritten_`.
    Status read_range(char* into, std::size_t size, std::uint64_t from);
    // Forgets the reading position and buffers (everything was read).
    void reset_reading();
    // Makes read_buffer_[read_pos_, read_pos_ + need) hold the stream's next `need` bytes.
    Status fill(std::size_t need);
    void drained();
    SysError torn(const std::string& why) const;
    // recover(): reads the records of file[from, size) and keeps the intact run.
    Status scan(std::uint64_t size, JournalRecovery& found, const journal::Mark& mark);
    // persist(): the new file's bytes after its header.
    Status write_persisted(int fd, const SeqFrames& before, const SeqFrames& after, std::uint64_t& size);

    std::filesystem::path path_;
    JournalWriter* writer_ = nullptr;
    UniqueFd fd_;
    std::shared_ptr<WriteTarget> target_;  // fd_'s writes; null while there is no file
    std::uint64_t epoch_ = 0;              // of the file's content: a truncate starts a new one
    std::deque<Batch> unwritten_;          // handed over, not yet written, in file order
    std::uint64_t unwritten_bytes_ = 0;
    int data_error_ = 0;                   // of a failed batch, as of the last settle()
    std::string write_buffer_;
    std::string read_buffer_;
    std::size_t read_pos_ = 0;       // read_buffer_[read_pos_] is the byte at read_offset_
    std::uint64_t read_offset_ = 0;  // in the file
    std::uint64_t file_size_ = 0;    // handed to the file (not counting write_buffer_)
    std::uint64_t count_ = 0;
    std::uint64_t bytes_ = 0;
    std::uint64_t last_seq_ = 0;  // of the last frame appended (or recovered)
    std::uint64_t read_seq_ = 0;  // of the last frame read
    journal::Mark mark_;          // as last handed to the file
};

}  // namespace corral::ipc
