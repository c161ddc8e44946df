// The spill journal: frames come back in the order they went in, whatever their sizes against the
// 64 KiB buffers; a drained journal is truncated; a failed write leaves everything already taken intact.
#include "ipc/spill_journal.hpp"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <deque>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "tests/support/file_size_limit.hpp"
#include "tests/support/journal_frames.hpp"
#include "tests/support/temp_dir.hpp"

using corral::ipc::SpillJournal;
using corral::test::FileSizeLimit;
using corral::test::read_one;
using corral::test::TempDir;
namespace fs = std::filesystem;

namespace {

constexpr std::size_t kBuffer = SpillJournal::buffer_size;
constexpr std::size_t kHeader = corral::ipc::journal::kFileHeader;

std::string frame(std::uint64_t number, std::size_t size) { return corral::test::journal_frame(number, size); }

void append_ok(SpillJournal& journal, const std::string& text) {
    auto appended = journal.append(text);
    REQUIRE_MESSAGE(appended.ok(), appended.error().message());
}

}  // namespace

TEST_CASE("spill journal: many frames of random sizes come back in order across buffer boundaries") {
    TempDir dir;
    SpillJournal journal(dir / "q.journal");
    CHECK_FALSE(fs::exists(dir / "q.journal"));  // created on first use only
    std::mt19937 random(7);
    std::vector<std::string> written;
    std::uint64_t bytes = 0;
    for (std::uint64_t i = 0; i < 20'000; ++i) {
        written.push_back(frame(i, random() % 3000));
        bytes += written.back().size();
        append_ok(journal, written.back());
    }
    CHECK(journal.count() == written.size());
    CHECK(journal.bytes() == bytes);
    CHECK(fs::exists(dir / "q.journal"));
    for (const auto& expected : written) REQUIRE(read_one(journal) == expected);
    CHECK(journal.empty());
    CHECK(journal.bytes() == 0);
    auto after = journal.read_next();
    REQUIRE(after.ok());
    CHECK_FALSE(after->has_value());
}

TEST_CASE("spill journal: frames around and beyond the buffer size are written and read whole") {
    TempDir dir;
    SpillJournal journal(dir / "q.journal");
    const std::vector<std::size_t> sizes{0,          1,          kBuffer - 5, kBuffer - 4, kBuffer - 3, kBuffer,
                                         kBuffer + 1, 10,        3 * kBuffer, 5,           1 << 20,     kBuffer - 4,
                                         kBuffer / 2, kBuffer / 2, 4 << 20,   0,           7};
    std::vector<std::string> written;
    for (std::size_t i = 0; i < sizes.size(); ++i) {
        // An empty frame cannot carry its number: it stays empty.
        written.push_back(sizes[i] == 0 ? std::string() : frame(i, sizes[i]));
        append_ok(journal, written.back());
    }
    // Read half, append more in between, read the rest: large frames on both sides of a read.
    const std::size_t half = written.size() / 2;
    for (std::size_t i = 0; i < half; ++i) REQUIRE(read_one(journal) == written[i]);
    for (std::size_t i = 0; i < 4; ++i) {
        written.push_back(frame(100 + i, i % 2 ? 2 * kBuffer + 3 : 100));
        append_ok(journal, written.back());
    }
    for (std::size_t i = half; i < written.size(); ++i) REQUIRE(read_one(journal) == written[i]);
    CHECK(journal.empty());
}

TEST_CASE("spill journal: a drained journal is truncated to zero and reused - then unlinked when destroyed") {
    TempDir dir;
    const auto path = dir / "sub" / "dir" / "q.journal";  // missing directories are created
    {
        SpillJournal journal(path);
        for (int i = 0; i < 1000; ++i) append_ok(journal, frame(i, 500));
        CHECK(read_one(journal) == frame(0, 500));
        // Flushed 64 KiB at a time: what the file holds is whole buffers of whole frames.
        CHECK(journal.file_size() == kHeader + (1000 * 516) / (127 * 516) * (127 * 516));
        CHECK(fs::file_size(path) == journal.file_size());
        for (int i = 1; i < 1000; ++i) REQUIRE(read_one(journal) == frame(i, 500));
        CHECK(journal.empty());
        CHECK(journal.file_size() == kHeader);
        CHECK(fs::file_size(path) == kHeader);
        CHECK((fs::status(path.parent_path()).permissions() & fs::perms::all) == fs::perms::owner_all);
        CHECK((fs::status(path).permissions() & fs::perms::all) ==
              (fs::perms::owner_read | fs::perms::owner_write));

        // Reused from just after the header after the drain.
        for (int i = 0; i < 3; ++i) append_ok(journal, frame(2000 + i, 100 * 1000));
        CHECK(read_one(journal) == frame(2000, 100 * 1000));
        CHECK(journal.file_size() == kHeader + 3 * (100 * 1000 + 16));
        CHECK(read_one(journal) == frame(2001, 100 * 1000));
        CHECK(read_one(journal) == frame(2002, 100 * 1000));
        CHECK(fs::file_size(path) == kHeader);
    }
    CHECK_FALSE(fs::exists(path));  // destroyed empty: removed
    CHECK(fs::exists(path.parent_path()));
    {
        SpillJournal journal(path);
        append_ok(journal, "left over");
    }
    CHECK(fs::exists(path));  // destroyed with a frame not read: kept for the next daemon

    // A new journal at the same path recovers it, and goes on after it.
    SpillJournal again(path);
    auto found = again.recover();
    REQUIRE(found.ok());
    CHECK(found->records == 1);
    append_ok(again, "again");
    CHECK(read_one(again) == "left over");
    CHECK(read_one(again) == "again");
    CHECK(fs::file_size(path) == kHeader);
}

TEST_CASE("spill journal: interleaved appends and reads match a reference queue") {
    TempDir dir;
    SpillJournal journal(dir / "q.journal");
    std::mt19937 random(42);
    std::deque<std::string> reference;
    std::uint64_t next = 0;
    std::uint64_t truncations = 0;
    for (int step = 0; step < 50'000; ++step) {
        // Phases that favour appending, then reading, so that the journal fills and drains many times.
        const bool appending = (step / 2000) % 2 == 0 ? random() % 100 < 65 : random() % 100 < 35;
        if (appending) {
            const auto roll = random() % 1000;
            const std::size_t size = roll == 0 ? 3 * kBuffer : roll < 10 ? kBuffer - 4 + roll % 3 : random() % 2000;
            reference.push_back(frame(next++, size));
            append_ok(journal, reference.back());
        } else if (!reference.empty()) {
            REQUIRE(read_one(journal) == reference.front());
            reference.pop_front();
            if (reference.empty()) {
                ++truncations;
                REQUIRE(journal.file_size() == kHeader);
            }
        }
        REQUIRE(journal.count() == reference.size());
    }
    CHECK(truncations > 10);
}

TEST_CASE("spill journal: a directory that cannot be created is an append error and nothing is taken") {
    TempDir dir;
    dir.write("file", "not a directory");
    SpillJournal journal(dir / "file" / "q.journal");
    auto appended = journal.append("frame");
    REQUIRE_FALSE(appended.ok());
    CHECK(appended.error().code == ENOTDIR);
    CHECK(appended.error().message().find((dir / "file").string()) != std::string::npos);
    CHECK(journal.empty());
    CHECK(journal.bytes() == 0);
    auto next = journal.read_next();
    REQUIRE(next.ok());
    CHECK_FALSE(next->has_value());

    SpillJournal in_proc("/proc/corral-no-such-dir/q.journal");
    auto refused = in_proc.append("frame");
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().what == "create directory");
    CHECK(refused.error().path == "/proc/corral-no-such-dir");
    CHECK(in_proc.empty());
}

TEST_CASE("spill journal: on a full disk the frame that does not fit stays with the caller") {
    // /dev/full takes opens and fails every write with ENOSPC. The journal's path is a symlink to it, so
    // that the destructor unlinks the link only.
    TempDir dir;
    const auto link = dir / "q.journal";
    fs::create_symlink("/dev/full", link);
    {
        SpillJournal journal(link);
        std::vector<std::string> taken;
        int refused = 0;
        for (int i = 0; i < 100; ++i) {
            auto text = frame(i, 1000);
            auto appended = journal.append(text);
            if (appended.ok()) {
                taken.push_back(text);
            } else {
                CHECK(appended.error().code == ENOSPC);
                CHECK(appended.error().message().find(link.string()) != std::string::npos);
                ++refused;
            }
        }
        // The file's first batch, its header, failed: nothing is taken until the disk takes it.
        CHECK(taken.empty());
        CHECK(journal.unwritten_bytes() == kHeader);
        CHECK(refused == 100 - static_cast<int>(taken.size()));
        CHECK(journal.count() == taken.size());
        auto big = journal.append(std::string(2 * kBuffer, 'x'));
        CHECK_FALSE(big.ok());
        CHECK(journal.count() == taken.size());
        CHECK(journal.empty());
    }
    CHECK_FALSE(fs::exists(fs::symlink_status(link)));
    CHECK(fs::exists("/dev/full"));
}

TEST_CASE("spill journal: a disk that fills up mid-write and recovers loses and duplicates nothing") {
    TempDir dir;
    const auto path = dir / "q.journal";
    SpillJournal journal(path);
    std::deque<std::string> reference;
    std::uint64_t next = 0;
    std::uint64_t failures = 0;
    {
        FileSizeLimit limit(150'000);  // not a multiple of anything: the failing write is a short one first
        for (int i = 0; i < 400; ++i) {
            auto text = frame(next, i % 50 == 49 ? 3 * kBuffer : 900);
            auto appended = journal.append(text);
            if (appended.ok()) {
                reference.push_back(text);
                ++next;
            } else {
                CHECK(appended.error().code == EFBIG);
                ++failures;
            }
        }
        CHECK(failures > 0);
        CHECK(journal.count() == reference.size());
        // What the disk took is all there is on disk; the batch it refused waits in memory.
        CHECK(journal.unwritten_bytes() > 0);
        CHECK(journal.file_size() - journal.unwritten_bytes() <= 150'000);
        CHECK(fs::file_size(path) <= 150'000);
        // Reading what is there, with the disk still full: the file part, then the batch in memory.
        for (int i = 0; i < 20; ++i) {
            REQUIRE(read_one(journal) == reference.front());
            reference.pop_front();
        }
        limit.lift();
        for (int i = 0; i < 300; ++i) {
            reference.push_back(frame(next++, i % 7 == 0 ? 2 * kBuffer : 700));
            append_ok(journal, reference.back());
        }
    }
    while (!reference.empty()) {
        REQUIRE(read_one(journal) == reference.front());
        reference.pop_front();
    }
    CHECK(journal.empty());
    CHECK(fs::file_size(path) == kHeader);
}

TEST_CASE("spill journal: a file cut short behind its back is a read error and not a crash") {
    TempDir dir;
    const auto path = dir / "q.journal";
    SpillJournal journal(path);
    // Frames longer than the write buffer go to the file as they come.
    for (int i = 0; i < 3; ++i) append_ok(journal, frame(i, 70'000));
    CHECK(journal.file_size() == kHeader + 3 * 70'016);
    CHECK(read_one(journal) == frame(0, 70'000));
    REQUIRE(::truncate(path.c_str(), 150'000) == 0);
    CHECK(read_one(journal) == frame(1, 70'000));
    auto torn = journal.read_next();
    REQUIRE_FALSE(torn.ok());
    CHECK(torn.error().code == EBADMSG);
    CHECK(torn.error().message().find(path.string()) != std::string::npos);
    CHECK(torn.error().message().find("torn frame at offset 140072") != std::string::npos);
    CHECK(journal.count() == 1);  // still there, unreadable
    auto again = journal.read_next();  // and still an error, not a crash, when asked again
    CHECK_FALSE(again.ok());
    journal.discard();
    CHECK(journal.empty());
    CHECK(fs::file_size(path) == kHeader);
    append_ok(journal, "after");
    CHECK(read_one(journal) == "after");
}

TEST_CASE("spill journal: a length that claims more than was written is a read error") {
    TempDir dir;
    const auto path = dir / "q.journal";
    SpillJournal journal(path);
    for (int i = 0; i < 100; ++i) append_ok(journal, frame(i, 1000));  // the first 65 are on disk
    {
        const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
        REQUIRE(fd >= 0);
        const char huge[4] = {'\xff', '\xff', '\xff', '\x7f'};
        CHECK(::pwrite(fd, huge, 4, kHeader) == 4);
        ::close(fd);
    }
    auto corrupt = journal.read_next();
    REQUIRE_FALSE(corrupt.ok());
    CHECK(corrupt.error().code == EBADMSG);
    CHECK(corrupt.error().message().find("claims 2147483647 bytes") != std::string::npos);
}
