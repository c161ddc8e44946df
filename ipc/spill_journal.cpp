#include "ipc/spill_journal.hpp"

#include <fcntl.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>

#include "ipc/journal_io.hpp"

namespace corral::ipc {

using journal::kFileHeader;
using journal::kRecordHeader;

SpillJournal::~SpillJournal() {
    if (!fd_) return;
    if (count_ == 0) {
        wait_written();
        fd_.reset();
        ::unlink(path_.c_str());
        return;
    }
    // Frames not read stay for the next daemon: the write buffer goes to the file first, and every batch
    // is written before the file is closed (a batch that fails is tried once more).
    (void)flush();
    wait_written();
    settle();
    if (!unwritten_.empty()) {
        (void)write_error();
        wait_written();
    }
}

void SpillJournal::track(std::uint64_t written) {
    target_ = std::make_shared<WriteTarget>(fd_.get(), written);
    target_->header_end = kFileHeader;
    epoch_ = 0;
    unwritten_.clear();
    unwritten_bytes_ = 0;
    data_error_ = 0;
}

Status SpillJournal::open() {
    if (auto dirs = journal::make_directories(path_.parent_path()); !dirs) return dirs;
    // recover() found no file (or one that is not a journal, which was moved aside).
    const int fd = ::open(path_.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return sys_error("create spill journal", path_.string());
    fd_.reset(fd);
    track(0);
    read_offset_ = kFileHeader;
    file_size_ = 0;
    // The header is the file's first batch: the records after it are written only once it is.
    auto header = journal::encode_file_header(mark_);
    hand_over(std::string(header.data(), header.size()));
    return {};
}

void SpillJournal::submit(WriteOp op) {
    if (writer_ != nullptr) {
        writer_->submit(std::move(op));
        return;
    }
    {
        std::lock_guard lock(op.target->mutex);
        ++op.target->queued;
    }
    apply(op);
}

void SpillJournal::hand_over(std::string bytes) {
    auto batch = std::make_shared<const std::string>(std::move(bytes));
    unwritten_.push_back(Batch{file_size_, batch});
    unwritten_bytes_ += batch->size();
    submit(WriteOp{WriteOp::Kind::data, target_, epoch_, file_size_, batch});
    file_size_ += batch->size();
}

void SpillJournal::settle() {
    if (!target_) return;
    std::lock_guard lock(target_->mutex);
    if (target_->epoch != epoch_) return;  // a truncate is still on its way: nothing here is written yet
    while (!unwritten_.empty() && unwritten_.front().offset + unwritten_.front().bytes->size() <= target_->frontier) {
        unwritten_bytes_ -= unwritten_.front().bytes->size();
        unwritten_.pop_front();
    }
    data_error_ = unwritten_.empty() ? 0 : target_->data_error;
}

void SpillJournal::wait_written() {
    if (writer_ != nullptr && target_) writer_->wait(*target_);
}

Status SpillJournal::write_error() {
    if (unwritten_.empty()) return {};  // nothing handed over waits: no write can have failed (no lock per append)
    settle();
    if (data_error_ == 0) return {};
    const int error = data_error_;
    bool idle = false;
    {
        std::lock_guard lock(target_->mutex);
        idle = target_->queued == 0;
    }
    if (idle) {
        // Everything submitted was tried: submit what is not written again, from the frontier on.
        for (const Batch& batch : unwritten_) submit(WriteOp{WriteOp::Kind::data, target_, epoch_, batch.offset, batch.bytes});
        settle();
        if (data_error_ == 0) return {};
    }
    return sys_error("write spill journal", path_.string(), error);
}

Status SpillJournal::flush() {
    if (write_buffer_.empty() || !fd_) return write_error();
    std::string batch;
    batch.swap(write_buffer_);
    hand_over(std::move(batch));
    return write_error();
}

Status SpillJournal::write_mark(const journal::Mark& mark) {
    if (!fd_ || mark == mark_) return {};
    auto bytes = journal::encode_mark(mark);
    submit(WriteOp{WriteOp::Kind::patch, target_, epoch_, journal::kMarkOffset,
                   std::make_shared<const std::string>(bytes.data(), bytes.size())});
    mark_ = mark;
    std::lock_guard lock(target_->mutex);
    if (target_->patch_error != 0) return sys_error("write spill journal mark", path_.string(), target_->patch_error);
    return {};
}

Status SpillJournal::append(std::string_view frame, std::uint64_t seq) {
    if (frame.size() > std::numeric_limits<std::uint32_t>::max()) {
        SysError error{EMSGSIZE, "write spill journal", path_.string()};
        error.detail = "a frame of " + std::to_string(frame.size()) + " bytes is longer than a journal frame can be";
        return error;
    }
    if (!fd_) {
        if (auto opened = open(); !opened) return opened;
    }
    // A batch that failed: this frame stays with the caller until the disk takes the batches again.
    if (auto failed = write_error(); !failed) return failed;
    const std::size_t framed = kRecordHeader + frame.size();
    if (!write_buffer_.empty() && write_buffer_.size() + framed > buffer_size) {
        if (auto flushed = flush(); !flushed) return flushed;
    }
    auto header = journal::encode_record_header(seq, frame);
    if (write_buffer_.capacity() < buffer_size) write_buffer_.reserve(std::max(buffer_size, framed));
    write_buffer_.append(header.data(), header.size());
    write_buffer_.append(frame);
    if (framed >= buffer_size) (void)flush();  // too big to batch: handed over on its own (an error shows next time)
    ++count_;
    bytes_ += frame.size();
    last_seq_ = seq;
    return {};
}

SysError SpillJournal::torn(const std::string& why) const {
    SysError error{EBADMSG, "read spill journal", path_.string()};
    error.detail = "torn frame at offset " + std::to_string(read_offset_) + ": " + why;
    return error;
}

Status SpillJournal::read_range(char* into, std::size_t size, std::uint64_t from) {
    settle();
    const std::uint64_t on_disk_until = unwritten_.empty() ? file_size_ : unwritten_.front().offset;
    if (from < on_disk_until) {
        const auto part = static_cast<std::size_t>(std::min<std::uint64_t>(size, on_disk_until - from));
        if (!journal::read_fully(fd_.get(), into, part, from)) {
            const int error = errno;
            if (error != 0) return sys_error("read spill journal", path_.string(), error);
            return torn("the file ends before " + std::to_string(file_size_) + " bytes, which were written");
        }
        into += part;
        size -= part;
        from += part;
    }
    for (const Batch& batch : unwritten_) {
        if (size == 0) break;
        const std::uint64_t end = batch.offset + batch.bytes->size();
        if (from >= end) continue;
        const auto part = static_cast<std::size_t>(std::min<std::uint64_t>(size, end - from));
        std::memcpy(into, batch.bytes->data() + (from - batch.offset), part);
        into += part;
        size -= part;
        from += part;
    }
    return {};
}

Status SpillJournal::fill(std::size_t need) {
    const std::size_t have = read_buffer_.size() - read_pos_;
    if (have >= need) return {};
    if (read_pos_ > 0) {
        read_buffer_.erase(0, read_pos_);
        read_pos_ = 0;
    }
    // The caller checked that read_offset_ + need <= file_size_: this never reads past what was handed over.
    const std::uint64_t from = read_offset_ + have;
    const std::size_t want =
        static_cast<std::size_t>(std::min<std::uint64_t>(std::max(buffer_size, need) - have, file_size_ - from));
    read_buffer_.resize(have + want);
    if (auto read = read_range(read_buffer_.data() + have, want, from); !read) {
        read_buffer_.resize(have);
        return read;
    }
    return {};
}

Result<std::optional<std::string>> SpillJournal::read_next() {
    if (count_ == 0) return std::optional<std::string>();
    // file_size_ and read_offset_ are always at record boundaries: either the next record starts in the
    // file, or the file is read up and it starts the write buffer, which is then handed over.
    if (read_offset_ == file_size_) (void)flush();
    if (read_offset_ + kRecordHeader > file_size_) return torn("its header is past the end of the file");
    if (auto filled = fill(kRecordHeader); !filled) return filled.error();
    const journal::RecordHeader header = journal::decode_record_header(read_buffer_.data() + read_pos_);
    const std::uint64_t framed = kRecordHeader + std::uint64_t{header.length};
    if (header.length > bytes_ || read_offset_ + framed > file_size_) {
        return torn("it claims " + std::to_string(header.length) + " bytes, more than were written");
    }
    if (auto filled = fill(static_cast<std::size_t>(framed)); !filled) return filled.error();
    std::string frame(read_buffer_.data() + read_pos_ + kRecordHeader, header.length);
    read_pos_ += static_cast<std::size_t>(framed);
    read_offset_ += framed;
    read_seq_ = header.seq;
    --count_;
    bytes_ -= header.length;
    if (count_ == 0) {
        drained();
    } else if (read_pos_ == read_buffer_.size() && read_buffer_.capacity() > 2 * buffer_size) {
        std::string().swap(read_buffer_);  // it grew for a large frame; do not keep it
        read_pos_ = 0;
    }
    return std::optional<std::string>(std::move(frame));
}

void SpillJournal::reset_reading() {
    read_offset_ = kFileHeader;
    read_pos_ = 0;
    std::string().swap(read_buffer_);
    std::string().swap(write_buffer_);
}

void SpillJournal::drained() {
    reset_reading();
    if (!fd_) {
        file_size_ = 0;
        return;
    }
    // Every frame was read: the file goes back to its header (a header not written yet stays on its way).
    settle();
    std::deque<Batch> header;
    if (!unwritten_.empty() && unwritten_.front().offset == 0) header.push_back(unwritten_.front());
    ++epoch_;
    submit(WriteOp{WriteOp::Kind::truncate, target_, epoch_, kFileHeader, {}});
    unwritten_ = std::move(header);
    unwritten_bytes_ = unwritten_.empty() ? 0 : unwritten_.front().bytes->size();
    if (!unwritten_.empty()) {
        submit(WriteOp{WriteOp::Kind::data, target_, epoch_, 0, unwritten_.front().bytes});
    }
    file_size_ = kFileHeader;
}

void SpillJournal::discard() {
    count_ = 0;
    bytes_ = 0;
    reset_reading();
    if (!fd_) {
        file_size_ = 0;
        return;
    }
    // The file may have been cut behind the journal's back, header and all: it starts afresh.
    wait_written();
    (void)::ftruncate(fd_.get(), 0);
    track(0);
    file_size_ = 0;
    auto header = journal::encode_file_header(mark_);
    hand_over(std::string(header.data(), header.size()));
}

}  // namespace corral::ipc
