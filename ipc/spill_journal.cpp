#include "ipc/spill_journal.hpp"

#include <fcntl.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <limits>

#include "ipc/journal_io.hpp"

namespace corral::ipc {

using journal::kFileHeader;
using journal::kRecordHeader;

SpillJournal::~SpillJournal() {
    if (!fd_) return;
    if (count_ == 0) {
        fd_.reset();
        ::unlink(path_.c_str());
        return;
    }
    // Frames not read stay for the next daemon; what is still in the write buffer goes to the file first.
    (void)flush();
}

Status SpillJournal::open() {
    if (auto dirs = journal::make_directories(path_.parent_path()); !dirs) return dirs;
    // recover() found no file (or one that is not a journal, which was moved aside).
    const int fd = ::open(path_.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return sys_error("create spill journal", path_.string());
    fd_.reset(fd);
    header_written_ = false;
    read_offset_ = kFileHeader;
    file_size_ = kFileHeader;
    // Written now if the disk takes it, else before the first record (a full disk fails the flush instead).
    (void)write_header();
    return {};
}

Status SpillJournal::write_header() {
    if (header_written_) return {};
    auto header = journal::encode_file_header(mark_);
    iovec iov{header.data(), header.size()};
    if (!journal::write_fully(fd_.get(), &iov, 1, 0)) return sys_error("write spill journal", path_.string());
    header_written_ = true;
    return {};
}

Status SpillJournal::flush() {
    if (write_buffer_.empty() || !fd_) return {};
    if (auto header = write_header(); !header) return header;
    iovec iov{write_buffer_.data(), write_buffer_.size()};
    if (!journal::write_fully(fd_.get(), &iov, 1, file_size_)) return sys_error("write spill journal", path_.string());
    file_size_ += write_buffer_.size();
    write_buffer_.clear();
    return {};
}

Status SpillJournal::write_mark(const journal::Mark& mark) {
    if (!fd_ || mark == mark_) return {};
    if (!header_written_) {
        mark_ = mark;
        return write_header();
    }
    auto bytes = journal::encode_mark(mark);
    iovec iov{bytes.data(), bytes.size()};
    if (!journal::write_fully(fd_.get(), &iov, 1, journal::kMarkOffset)) {
        return sys_error("write spill journal mark", path_.string());
    }
    mark_ = mark;
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
    const std::size_t framed = kRecordHeader + frame.size();
    if (!write_buffer_.empty() && write_buffer_.size() + framed > buffer_size) {
        if (auto flushed = flush(); !flushed) return flushed;
    }
    auto header = journal::encode_record_header(seq, frame);
    if (framed >= buffer_size) {
        // Too big to batch: written on its own, straight from the caller's bytes (the buffer is empty).
        if (auto written = write_header(); !written) return written;
        std::array<iovec, 2> iov{iovec{header.data(), header.size()},
                                 iovec{const_cast<char*>(frame.data()), frame.size()}};
        if (!journal::write_fully(fd_.get(), iov.data(), 2, file_size_)) {
            return sys_error("write spill journal", path_.string());
        }
        file_size_ += framed;
    } else {
        if (write_buffer_.capacity() < buffer_size) write_buffer_.reserve(buffer_size);
        write_buffer_.append(header.data(), header.size());
        write_buffer_.append(frame);
    }
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

Status SpillJournal::fill(std::size_t need) {
    const std::size_t have = read_buffer_.size() - read_pos_;
    if (have >= need) return {};
    if (read_pos_ > 0) {
        read_buffer_.erase(0, read_pos_);
        read_pos_ = 0;
    }
    // The caller checked that read_offset_ + need <= file_size_: this never reads past what was written.
    const std::uint64_t from = read_offset_ + have;
    const std::size_t want =
        static_cast<std::size_t>(std::min<std::uint64_t>(std::max(buffer_size, need) - have, file_size_ - from));
    read_buffer_.resize(have + want);
    if (!journal::read_fully(fd_.get(), read_buffer_.data() + have, want, from)) {
        const int error = errno;
        read_buffer_.resize(have);
        if (error != 0) return sys_error("read spill journal", path_.string(), error);
        return torn("the file ends before " + std::to_string(file_size_) + " bytes, which were written");
    }
    return {};
}

Result<std::optional<std::string>> SpillJournal::take_from_write_buffer() {
    // Only when the file holds nothing unread: the write buffer starts with the next frame.
    const journal::RecordHeader header = journal::decode_record_header(write_buffer_.data());
    std::string frame = write_buffer_.substr(kRecordHeader, header.length);
    write_buffer_.erase(0, kRecordHeader + header.length);
    read_seq_ = header.seq;
    --count_;
    bytes_ -= header.length;
    if (count_ == 0) drained();
    return std::optional<std::string>(std::move(frame));
}

Result<std::optional<std::string>> SpillJournal::read_next() {
    if (count_ == 0) return std::optional<std::string>();
    // file_size_ and read_offset_ are always at record boundaries: either the next record starts in the
    // file, or the file is read up and it starts the write buffer.
    if (read_offset_ == file_size_) {
        if (auto flushed = flush(); !flushed) return take_from_write_buffer();
    }
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

void SpillJournal::drained() {
    // A failed truncate costs disk, not correctness: reads never go past file_size_, the next writes start
    // again after the header, and a crash replays only seqs above the mark.
    if (fd_ && ::ftruncate(fd_.get(), kFileHeader) != 0) {
    }
    read_offset_ = kFileHeader;
    file_size_ = fd_ ? kFileHeader : 0;
    read_pos_ = 0;
    std::string().swap(read_buffer_);
    std::string().swap(write_buffer_);
}

void SpillJournal::discard() {
    count_ = 0;
    bytes_ = 0;
    if (fd_) {
        // The file may have been cut behind the journal's back, header and all: it starts afresh.
        auto header = journal::encode_file_header(mark_);
        iovec iov{header.data(), header.size()};
        header_written_ = ::ftruncate(fd_.get(), 0) == 0 && journal::write_fully(fd_.get(), &iov, 1, 0);
    }
    drained();
}

}  // namespace corral::ipc
