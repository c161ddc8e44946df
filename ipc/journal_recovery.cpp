// SpillJournal::recover(): adopting the journal an earlier daemon left, checked record by record.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

#include "ipc/journal_io.hpp"
#include "ipc/spill_journal.hpp"

namespace corral::ipc {

using journal::kFileHeader;
using journal::kRecordHeader;

namespace {

// A window on the file for a sequential scan: bytes [start, start + data.size()) of it.
struct ScanWindow {
    int fd = -1;
    std::uint64_t start = 0;
    std::string data;

    // Points at file[offset, offset + size) or returns null (errno set; 0 when the file ends first).
    const char* at(std::uint64_t offset, std::size_t size) {
        if (offset >= start && offset + size <= start + data.size()) return data.data() + (offset - start);
        data.resize(std::max<std::size_t>(size, 1u << 20));
        start = offset;
        std::size_t got = 0;
        while (got < size) {
            const ssize_t n = ::pread(fd, data.data() + got, data.size() - got, static_cast<off_t>(offset + got));
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) {
                if (n == 0) errno = 0;
                data.resize(got);
                return nullptr;
            }
            got += static_cast<std::size_t>(n);
        }
        data.resize(got);
        return data.data();
    }
};

}  // namespace

Result<JournalRecovery> SpillJournal::recover() {
    JournalRecovery found;
    const int fd = ::open(path_.c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) return found;
        return sys_error("open spill journal", path_.string());
    }
    UniqueFd file(fd);
    struct stat st {};
    if (::fstat(fd, &st) != 0) return sys_error("open spill journal", path_.string());
    const auto size = static_cast<std::uint64_t>(st.st_size);
    std::array<char, kFileHeader> header{};
    if (size < kFileHeader || !journal::read_fully(fd, header.data(), header.size(), 0) ||
        std::memcmp(header.data(), journal::kMagic.data(), journal::kMagic.size()) != 0) {
        SysError error{EBADMSG, "recover spill journal", path_.string()};
        error.detail = "not a journal this corral can read (no \"corralj2\" header)";
        return error;
    }
    found.found = true;
    std::optional<journal::Mark> mark = journal::decode_mark(header.data() + journal::kMarkOffset);
    found.mark_unreadable = !mark;
    if (!mark) mark = journal::Mark{};
    fd_ = std::move(file);
    mark_ = *mark;
    if (auto scanned = scan(size, found, *mark); !scanned) {
        fd_.reset();
        return scanned.error();
    }
    return found;
}

Status SpillJournal::scan(std::uint64_t size, JournalRecovery& found, const journal::Mark& mark) {
    ScanWindow window{fd_.get(), 0, {}};
    std::uint64_t offset = kFileHeader;
    std::uint64_t first_unread = 0;
    std::uint64_t last_seq = 0;
    while (offset < size) {
        const char* head = window.at(offset, kRecordHeader);
        if (head == nullptr && errno != 0) return sys_error("read spill journal", path_.string());
        if (head == nullptr) {
            found.torn_why = "a record header cut short at offset " + std::to_string(offset);
            break;
        }
        const journal::RecordHeader record = journal::decode_record_header(head);
        const std::uint64_t framed = kRecordHeader + std::uint64_t{record.length};
        if (offset + framed > size) {
            found.torn_why = "a record of " + std::to_string(record.length) + " bytes cut short at offset " +
                             std::to_string(offset);
            break;
        }
        const char* bytes = window.at(offset, static_cast<std::size_t>(framed));
        if (bytes == nullptr) return sys_error("read spill journal", path_.string(), errno == 0 ? EIO : errno);
        const std::string_view payload(bytes + kRecordHeader, record.length);
        if (journal::checksum(record.seq, payload) != record.crc || (offset > kFileHeader && record.seq <= last_seq)) {
            found.torn_why = "a record that fails its checksum or sequence at offset " + std::to_string(offset);
            break;
        }
        last_seq = record.seq;
        if (record.seq <= mark.delivered) {
            ++found.skipped;
        } else {
            if (found.records == 0) first_unread = offset;
            ++found.records;
            found.bytes += record.length;
        }
        offset += framed;
    }
    if (offset < size) {
        found.torn_bytes = size - offset;
        if (::ftruncate(fd_.get(), static_cast<off_t>(offset)) != 0) return sys_error("cut spill journal", path_.string());
    }
    file_size_ = offset;
    track(offset);
    read_offset_ = found.records > 0 ? first_unread : offset;
    count_ = found.records;
    bytes_ = found.bytes;
    last_seq_ = std::max(last_seq, mark.received);
    read_seq_ = mark.delivered;
    found.last_seq = last_seq_;
    const std::uint64_t taken = last_seq_ > mark.delivered ? last_seq_ - mark.delivered : 0;
    if (!mark.clean && !found.mark_unreadable) {
        found.lost = (taken > found.records ? taken - found.records : 0) + mark.in_flight;
    }
    if (count_ == 0) drained();
    return {};
}

}  // namespace corral::ipc
