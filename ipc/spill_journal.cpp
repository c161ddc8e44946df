#include "ipc/spill_journal.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <limits>

namespace corral::ipc {

namespace {

constexpr std::size_t header_size = 4;

std::array<char, header_size> encode_length(std::uint32_t length) {
    return {static_cast<char>(length & 0xff), static_cast<char>((length >> 8) & 0xff),
            static_cast<char>((length >> 16) & 0xff), static_cast<char>((length >> 24) & 0xff)};
}

std::uint32_t decode_length(const char* bytes) {
    const auto byte = [bytes](int i) { return static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])); };
    return byte(0) | byte(1) << 8 | byte(2) << 16 | byte(3) << 24;
}

// Writes every byte of `iov` at `offset`, resuming after short writes; false with errno set otherwise.
bool write_fully(int fd, iovec* iov, int count, std::uint64_t offset) {
    while (count > 0) {
        const ssize_t written = ::pwritev(fd, iov, count, static_cast<off_t>(offset));
        if (written < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        if (written == 0) {  // not expected from a regular file; do not spin on it
            errno = EIO;
            return false;
        }
        offset += static_cast<std::uint64_t>(written);
        auto left = static_cast<std::size_t>(written);
        while (count > 0 && left >= iov->iov_len) {
            left -= iov->iov_len;
            ++iov;
            --count;
        }
        if (count > 0) {
            iov->iov_base = static_cast<char*>(iov->iov_base) + left;
            iov->iov_len -= left;
        }
    }
    return true;
}

// mkdir -p with mode 0700 for the directories it has to create.
Status make_directories(const std::filesystem::path& dir) {
    if (dir.empty()) return {};
    struct stat st {};
    if (::stat(dir.c_str(), &st) == 0) return {};  // not a directory: open() says so (ENOTDIR)
    if (dir.has_parent_path() && dir.parent_path() != dir) {
        if (auto parent = make_directories(dir.parent_path()); !parent) return parent;
    }
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return sys_error("create directory", dir.string());
    return {};
}

}  // namespace

SpillJournal::~SpillJournal() {
    if (!fd_) return;
    fd_.reset();
    ::unlink(path_.c_str());
}

Status SpillJournal::open() {
    if (auto dirs = make_directories(path_.parent_path()); !dirs) return dirs;
    const int fd = ::open(path_.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return sys_error("create spill journal", path_.string());
    fd_.reset(fd);
    read_offset_ = 0;
    file_size_ = 0;
    return {};
}

Status SpillJournal::flush() {
    if (write_buffer_.empty()) return {};
    iovec iov{write_buffer_.data(), write_buffer_.size()};
    if (!write_fully(fd_.get(), &iov, 1, file_size_)) return sys_error("write spill journal", path_.string());
    file_size_ += write_buffer_.size();
    write_buffer_.clear();
    return {};
}

Status SpillJournal::append(std::string_view frame) {
    if (frame.size() > std::numeric_limits<std::uint32_t>::max()) {
        SysError error{EMSGSIZE, "write spill journal", path_.string()};
        error.detail = "a frame of " + std::to_string(frame.size()) + " bytes is longer than a journal frame can be";
        return error;
    }
    if (!fd_) {
        if (auto opened = open(); !opened) return opened;
    }
    const std::size_t framed = header_size + frame.size();
    if (!write_buffer_.empty() && write_buffer_.size() + framed > buffer_size) {
        if (auto flushed = flush(); !flushed) return flushed;
    }
    auto header = encode_length(static_cast<std::uint32_t>(frame.size()));
    if (framed >= buffer_size) {
        // Too big to batch: written on its own, straight from the caller's bytes (the buffer is empty).
        std::array<iovec, 2> iov{iovec{header.data(), header.size()},
                                 iovec{const_cast<char*>(frame.data()), frame.size()}};
        if (!write_fully(fd_.get(), iov.data(), 2, file_size_)) return sys_error("write spill journal", path_.string());
        file_size_ += framed;
    } else {
        if (write_buffer_.capacity() < buffer_size) write_buffer_.reserve(buffer_size);
        write_buffer_.append(header.data(), header.size());
        write_buffer_.append(frame);
    }
    ++count_;
    bytes_ += frame.size();
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
    std::size_t got = 0;
    while (got < want) {
        const ssize_t n = ::pread(fd_.get(), read_buffer_.data() + have + got, want - got,
                                  static_cast<off_t>(from + got));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            const int error = errno;
            read_buffer_.resize(have + got);
            if (n < 0) return sys_error("read spill journal", path_.string(), error);
            return torn("the file ends at " + std::to_string(from + got) + " bytes, " + std::to_string(file_size_) +
                        " were written");
        }
        got += static_cast<std::size_t>(n);
    }
    return {};
}

Result<std::optional<std::string>> SpillJournal::take_from_write_buffer() {
    // Only when the file holds nothing unread: the write buffer starts with the next frame.
    const std::uint32_t length = decode_length(write_buffer_.data());
    std::string frame = write_buffer_.substr(header_size, length);
    write_buffer_.erase(0, header_size + length);
    --count_;
    bytes_ -= length;
    if (count_ == 0) drained();
    return std::optional<std::string>(std::move(frame));
}

Result<std::optional<std::string>> SpillJournal::read_next() {
    if (count_ == 0) return std::optional<std::string>();
    // file_size_ and read_offset_ are always at frame boundaries: either the next frame starts in the file,
    // or the file is read up and it starts the write buffer.
    if (read_offset_ == file_size_) {
        if (auto flushed = flush(); !flushed) return take_from_write_buffer();
    }
    if (read_offset_ + header_size > file_size_) return torn("its length is past the end of the file");
    if (auto filled = fill(header_size); !filled) return filled.error();
    const std::uint32_t length = decode_length(read_buffer_.data() + read_pos_);
    const std::uint64_t framed = header_size + std::uint64_t{length};
    if (length > bytes_ || read_offset_ + framed > file_size_) {
        return torn("it claims " + std::to_string(length) + " bytes, more than were written");
    }
    if (auto filled = fill(static_cast<std::size_t>(framed)); !filled) return filled.error();
    std::string frame(read_buffer_.data() + read_pos_ + header_size, length);
    read_pos_ += static_cast<std::size_t>(framed);
    read_offset_ += framed;
    --count_;
    bytes_ -= length;
    if (count_ == 0) {
        drained();
    } else if (read_pos_ == read_buffer_.size() && read_buffer_.capacity() > 2 * buffer_size) {
        std::string().swap(read_buffer_);  // it grew for a large frame; do not keep it
        read_pos_ = 0;
    }
    return std::optional<std::string>(std::move(frame));
}

void SpillJournal::drained() {
    // A failed truncate costs disk, not correctness: reads never go past file_size_, and the next writes
    // start again at 0.
    if (fd_ && ::ftruncate(fd_.get(), 0) != 0) {
    }
    read_offset_ = 0;
    file_size_ = 0;
    read_pos_ = 0;
    std::string().swap(read_buffer_);
    std::string().swap(write_buffer_);
}

void SpillJournal::discard() {
    count_ = 0;
    bytes_ = 0;
    drained();
}

}  // namespace corral::ipc
