#include "ipc/journal_writer.hpp"

#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "ipc/journal_io.hpp"

namespace corral::ipc {
namespace {

int write_at(int fd, const std::string& bytes, std::uint64_t offset) {
    iovec iov{const_cast<char*>(bytes.data()), bytes.size()};
    if (journal::write_fully(fd, &iov, 1, offset)) return 0;
    return errno != 0 ? errno : EIO;
}

}  // namespace

void apply(const WriteOp& op) {
    WriteTarget& target = *op.target;
    std::unique_lock lock(target.mutex);
    switch (op.kind) {
    case WriteOp::Kind::data:
        if (op.epoch == target.epoch && op.offset == target.frontier) {
            lock.unlock();  // the loop may look at the target while the disk takes its time
            const int error = write_at(target.fd, *op.bytes, op.offset);
            lock.lock();
            target.data_error = error;
            if (error == 0 && op.epoch == target.epoch) target.frontier = op.offset + op.bytes->size();
        }
        break;
    case WriteOp::Kind::patch:
        if (target.frontier >= target.header_end) {
            lock.unlock();
            const int error = write_at(target.fd, *op.bytes, op.offset);
            lock.lock();
            target.patch_error = error;
        }
        break;
    case WriteOp::Kind::truncate:
        // A failed truncate costs disk, not correctness: reads never go past what the journal wrote, and
        // the next writes start again at the new size.
        (void)::ftruncate(target.fd, static_cast<off_t>(op.offset));
        target.epoch = op.epoch;
        target.frontier = std::min(target.frontier, op.offset);
        target.data_error = 0;
        break;
    }
    --target.queued;
}

JournalWriter::JournalWriter(uv_loop_t* loop, std::function<void()> on_progress)
    : on_progress_(std::move(on_progress)) {
    if (async_.init(uv_async_init, loop, &JournalWriter::on_async) == 0) {
        async_.get()->data = this;
        uv_unref(async_.base());  // pending writes never keep a loop alive: the destructor finishes them
    }
}

JournalWriter::~JournalWriter() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
        held_ = false;
    }
    work_.notify_all();
    if (thread_.joinable()) thread_.join();
}

void JournalWriter::submit(WriteOp op) {
    {
        std::lock_guard target_lock(op.target->mutex);
        ++op.target->queued;
    }
    {
        std::lock_guard lock(mutex_);
        queue_.push_back(std::move(op));
        if (!thread_.joinable()) thread_ = std::thread([this] { run(); });
    }
    work_.notify_one();
}

void JournalWriter::wait(WriteTarget& target) {
    std::unique_lock lock(mutex_);
    done_.wait(lock, [&] {
        std::lock_guard target_lock(target.mutex);
        return target.queued == 0;
    });
}

void JournalWriter::hold(bool held) {
    {
        std::lock_guard lock(mutex_);
        held_ = held;
    }
    work_.notify_all();
}

void JournalWriter::run() {
    std::unique_lock lock(mutex_);
    for (;;) {
        work_.wait(lock, [&] { return stopping_ || (!held_ && !queue_.empty()); });
        if (queue_.empty()) return;  // stopping, and everything was applied
        WriteOp op = std::move(queue_.front());
        queue_.pop_front();
        lock.unlock();
        apply(op);
        op = {};  // the batch's memory goes as soon as it is written, if the journal let go of it too
        if (async_) uv_async_send(async_.get());
        lock.lock();
        done_.notify_all();
    }
}

void JournalWriter::on_async(uv_async_t* async) {
    auto* self = static_cast<JournalWriter*>(async->data);
    if (self != nullptr && self->on_progress_) self->on_progress_();
}

}  // namespace corral::ipc
