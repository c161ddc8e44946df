#pragma once
// The thread that writes the spill journals, so that the daemon's loop never waits for the disk.
//
// A sender that writes flat out towards a held receiver makes the broker spill at the sender's rate (the
// article: 150 MB/s and more). Once the kernel's dirty-page limits are reached, every write(2) waits for
// writeback; done on the loop, that wait stops the broker from reading every sender, their sockets fill,
// and Node keeps what they send in their own memory: the leak corral exists to prevent. So a journal hands
// its write batches to this thread and keeps each one in memory until it is written (its reads are served
// from there meanwhile). How far the writes are behind is then a number the broker can act on: it counts
// towards the sender throttle, and past a bound the queue blocks its senders (DeliveryQueue::blocked()).
//
// Rules a journal's writes follow (WriteTarget, applied on the writer thread or inline):
//   - data: bytes at an offset; written only when the offset is the target's frontier (every byte before
//     it written) in the target's current epoch, and then the frontier moves past them. A batch that
//     fails leaves the frontier where it was; the batches after it are skipped, and the journal submits
//     them again from the frontier later: nothing is written out of order, nothing twice in a way that
//     matters (a repeated batch carries the same bytes to the same place);
//   - patch: bytes at an offset inside the file's header (the mark), written only once the header is;
//   - truncate: cuts the file and starts a new epoch with the frontier at the new size.
// Operations run in the order they were submitted, one at a time.
#include <uv.h>

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "base/uv_handle.hpp"

namespace corral::ipc {

// One journal file as the writes see it: shared by the journal (on the loop) and the writer thread.
struct WriteTarget {
    explicit WriteTarget(int file, std::uint64_t written) : fd(file), frontier(written) {}

    const int fd;  // owned by the journal, which waits for every write of this target before closing it
    std::mutex mutex;
    std::uint64_t epoch = 0;
    std::uint64_t frontier = 0;  // every byte before it is written (in this epoch)
    std::uint64_t header_end = 0;  // patches land only once the frontier is past it
    int data_error = 0;           // errno of the last data write, 0 once one succeeded
    int patch_error = 0;          // errno of the last patch, 0 once one succeeded
    std::size_t queued = 0;       // operations submitted and not yet applied
};

struct WriteOp {
    enum class Kind { data, patch, truncate };
    Kind kind = Kind::data;
    std::shared_ptr<WriteTarget> target;
    std::uint64_t epoch = 0;   // data: the epoch it belongs to; truncate: the epoch it starts
    std::uint64_t offset = 0;  // data, patch: where; truncate: the new size
    std::shared_ptr<const std::string> bytes;
};

// Runs `op` now, on the calling thread, and counts it done in its target.
void apply(const WriteOp& op);

class JournalWriter {
public:
    // `on_progress` runs on `loop` after writes were done (calls coalesce, as libuv's async handles do).
    JournalWriter(uv_loop_t* loop, std::function<void()> on_progress);
    // Applies every operation still queued, then stops the thread.
    ~JournalWriter();
    JournalWriter(const JournalWriter&) = delete;
    JournalWriter& operator=(const JournalWriter&) = delete;

    // Counts `op` queued in its target and hands it to the thread (started on the first call).
    void submit(WriteOp op);
    // Blocks until every operation submitted for `target` has been applied.
    void wait(WriteTarget& target);

    // For tests: while held, the thread applies nothing (a disk that does not keep up).
    void hold(bool held);

private:
    void run();
    static void on_async(uv_async_t* async);

    std::function<void()> on_progress_;
    UvHandle<uv_async_t> async_;
    std::mutex mutex_;
    std::condition_variable work_;
    std::condition_variable done_;
    std::deque<WriteOp> queue_;
    bool stopping_ = false;
    bool held_ = false;
    std::thread thread_;
};

}  // namespace corral::ipc
