// SpillJournal::persist(): the daemon's way out. What a queue still holds in memory goes into its journal
// ahead of what is spilled, in one new file renamed into place, so that the next daemon replays all of it
// in order.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "ipc/journal_io.hpp"
#include "ipc/spill_journal.hpp"

namespace corral::ipc {

using journal::kFileHeader;
using journal::kRecordHeader;

namespace {

// Appends records to a file through a 1 MiB buffer.
struct RecordWriter {
    int fd;
    std::uint64_t offset;
    std::string buffer;

    bool put(std::string_view bytes) {
        if (buffer.size() + bytes.size() > (1u << 20) && !drain()) return false;
        buffer.append(bytes);
        return true;
    }
    bool record(std::uint64_t seq, std::string_view frame) {
        const auto header = journal::encode_record_header(seq, frame);
        return put({header.data(), header.size()}) && put(frame);
    }
    bool drain() {
        iovec iov{buffer.data(), buffer.size()};
        if (!journal::write_fully(fd, &iov, 1, offset)) return false;
        offset += buffer.size();
        buffer.clear();
        return true;
    }
};

// Copies src[from, from + size) to dst at `to`.
bool copy_range(int src, std::uint64_t from, int dst, std::uint64_t to, std::uint64_t size) {
    while (size > 0) {
        auto in = static_cast<off_t>(from);
        auto out = static_cast<off_t>(to);
        const ssize_t n = ::copy_file_range(src, &in, dst, &out, size, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;  // not supported here, or the file ends: copied by hand below
        from += static_cast<std::uint64_t>(n);
        to += static_cast<std::uint64_t>(n);
        size -= static_cast<std::uint64_t>(n);
    }
    std::string buffer;
    while (size > 0) {
        buffer.resize(static_cast<std::size_t>(std::min<std::uint64_t>(size, 1u << 20)));
        if (!journal::read_fully(src, buffer.data(), buffer.size(), from)) {
            if (errno == 0) errno = EIO;
            return false;
        }
        iovec iov{buffer.data(), buffer.size()};
        if (!journal::write_fully(dst, &iov, 1, to)) return false;
        from += buffer.size();
        to += buffer.size();
        size -= buffer.size();
    }
    return true;
}

}  // namespace

Status SpillJournal::write_persisted(int fd, const SeqFrames& before, const SeqFrames& after, std::uint64_t& size) {
    RecordWriter writer{fd, kFileHeader, {}};
    for (const auto& [seq, frame] : before) {
        if (!writer.record(seq, frame)) return sys_error("write spill journal", path_.string());
    }
    if (!writer.drain()) return sys_error("write spill journal", path_.string());
    // What was read stays behind; batches the disk refused come from memory.
    const std::uint64_t on_disk_until = unwritten_.empty() ? file_size_ : unwritten_.front().offset;
    if (fd_ && on_disk_until > read_offset_) {
        if (!copy_range(fd_.get(), read_offset_, fd, writer.offset, on_disk_until - read_offset_)) {
            return sys_error("copy spill journal", path_.string());
        }
        writer.offset += on_disk_until - read_offset_;
    }
    for (const Batch& batch : unwritten_) {
        const std::uint64_t skip = read_offset_ > batch.offset ? read_offset_ - batch.offset : 0;
        if (skip >= batch.bytes->size()) continue;
        if (!writer.put(std::string_view(*batch.bytes).substr(static_cast<std::size_t>(skip)))) {
            return sys_error("write spill journal", path_.string());
        }
    }
    if (!writer.put(write_buffer_)) return sys_error("write spill journal", path_.string());
    for (const auto& [seq, frame] : after) {
        if (!writer.record(seq, frame)) return sys_error("write spill journal", path_.string());
    }
    if (!writer.drain()) return sys_error("write spill journal", path_.string());
    size = writer.offset;
    return {};
}

Status SpillJournal::persist(const SeqFrames& before, const SeqFrames& after, std::uint64_t delivered) {
    wait_written();
    settle();
    if (before.empty() && after.empty() && count_ == 0) {
        if (fd_) {
            target_.reset();
            fd_.reset();
            ::unlink(path_.c_str());
        }
        return {};
    }
    if (auto dirs = journal::make_directories(path_.parent_path()); !dirs) return dirs;
    std::uint64_t last = after.empty() ? (count_ > 0 ? last_seq_ : 0) : after.back().first;
    if (last == 0 && !before.empty()) last = before.back().first;
    const journal::Mark mark{delivered, last, true};
    const std::filesystem::path temporary = path_.string() + ".tmp";
    const int raw = ::open(temporary.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (raw < 0) return sys_error("create spill journal", temporary.string());
    UniqueFd fd(raw);
    auto header = journal::encode_file_header(mark);
    iovec iov{header.data(), header.size()};
    std::uint64_t size = 0;
    Status written = journal::write_fully(fd.get(), &iov, 1, 0) ? write_persisted(fd.get(), before, after, size)
                                                                 : Status(sys_error("write spill journal", temporary.string()));
    if (written && ::fdatasync(fd.get()) != 0) written = sys_error("sync spill journal", temporary.string());
    if (written && ::rename(temporary.c_str(), path_.c_str()) != 0) written = sys_error("rename spill journal", path_.string());
    if (!written) {
        ::unlink(temporary.c_str());  // the old journal, if any, is still in place and intact
        return written;
    }
    for (const auto& [seq, frame] : before) bytes_ += frame.size();
    for (const auto& [seq, frame] : after) bytes_ += frame.size();
    count_ += before.size() + after.size();
    fd_ = std::move(fd);
    track(size);
    read_offset_ = kFileHeader;
    file_size_ = size;
    read_pos_ = 0;
    std::string().swap(read_buffer_);
    std::string().swap(write_buffer_);
    last_seq_ = std::max(last_seq_, last);
    read_seq_ = delivered;
    mark_ = mark;
    return {};
}

}  // namespace corral::ipc
