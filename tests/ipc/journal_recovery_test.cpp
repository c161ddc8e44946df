// The spill journal across daemons: a journal left behind is recovered and replayed after what its mark
// says was delivered; a torn or corrupt tail is cut and counted; sequence numbers bound what a crash lost;
// persist() puts memory before the journal; a durable queue's batch reaches the file at each sync().
// A crash is a copy of the file taken at that moment (the page cache survives a killed daemon).
#include <doctest/doctest.h>
#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "ipc/delivery_queue.hpp"
#include "ipc/journal_format.hpp"
#include "ipc/spill_journal.hpp"
#include "tests/support/temp_dir.hpp"

using corral::ipc::DeliveryQueue;
using corral::ipc::Overflow;
using corral::ipc::QueueLimits;
using corral::ipc::SpillJournal;
using corral::test::TempDir;
namespace fs = std::filesystem;
namespace journal = corral::ipc::journal;

namespace {

std::string frame(std::uint64_t number, std::size_t size = 300) {
    std::string text = std::to_string(number) + ":";
    text.resize(std::max(size, text.size()), static_cast<char>('a' + number % 26));
    return text;
}

void append_ok(SpillJournal& journal, const std::string& text, std::uint64_t seq) {
    auto appended = journal.append(text, seq);
    REQUIRE_MESSAGE(appended.ok(), appended.error().message());
}

// Reads frames `from`..`to`, checking that their seqs equal their numbers.
void expect_range(SpillJournal& journal, std::uint64_t from, std::uint64_t to) {
    for (std::uint64_t i = from; i <= to; ++i) {
        auto next = journal.read_next();
        REQUIRE_MESSAGE(next.ok(), next.error().message());
        REQUIRE(next->has_value());
        REQUIRE(**next == frame(i));
        REQUIRE(journal.read_seq() == i);
    }
}

// The same, and then nothing is left.
void expect_frames(SpillJournal& journal, std::uint64_t from, std::uint64_t to) {
    expect_range(journal, from, to);
    auto end = journal.read_next();
    REQUIRE(end.ok());
    CHECK_FALSE(end->has_value());
}

// A journal with frames 1..count (seq = number), written to the file, then "crashed" (a copy is returned).
fs::path crashed_journal(TempDir& dir, std::uint64_t count, const journal::Mark& mark) {
    const auto path = dir / "live.journal";
    SpillJournal live(path);
    for (std::uint64_t i = 1; i <= count; ++i) append_ok(live, frame(i), i);
    REQUIRE(live.flush().ok());
    REQUIRE(live.write_mark(mark).ok());
    const auto copy = dir / "crashed.journal";
    fs::copy_file(path, copy, fs::copy_options::overwrite_existing);
    return copy;
}

}  // namespace

TEST_CASE("journal recovery: a journal left behind is replayed after its mark, in order, and goes on") {
    TempDir dir;
    const auto path = crashed_journal(dir, 100, {40, 100, false});
    SpillJournal journal(path);
    auto found = journal.recover();
    REQUIRE_MESSAGE(found.ok(), found.error().message());
    CHECK(found->found);
    CHECK(found->records == 60);
    CHECK(found->skipped == 40);
    CHECK(found->bytes == 60 * 300);
    CHECK(found->torn_bytes == 0);
    CHECK(found->lost == 0);
    CHECK(found->last_seq == 100);
    CHECK(journal.count() == 60);
    // New frames go behind the replayed ones, with the next seqs.
    append_ok(journal, frame(101), 101);
    expect_frames(journal, 41, 101);
    CHECK(fs::file_size(path) == journal::kFileHeader);  // drained
}

TEST_CASE("journal recovery: no file is nothing found - a file that is not a journal is an error and left alone") {
    TempDir dir;
    SpillJournal none(dir / "none.journal");
    auto nothing = none.recover();
    REQUIRE(nothing.ok());
    CHECK_FALSE(nothing->found);
    const std::string text = "these are not the records you are looking for";
    dir.write("other.journal", text);
    SpillJournal other(dir / "other.journal");
    auto refused = other.recover();
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().code == EBADMSG);
    CHECK(fs::file_size(dir / "other.journal") == text.size());
}

TEST_CASE("journal recovery: a torn tail is cut and counted, and what came before it is replayed") {
    TempDir dir;
    const auto path = crashed_journal(dir, 50, {0, 50, false});
    const auto record = journal::kRecordHeader + 300;
    const auto cut_at = journal::kFileHeader + 30 * record + 100;  // record 31 half written
    REQUIRE(::truncate(path.c_str(), static_cast<off_t>(cut_at)) == 0);
    SpillJournal journal(path);
    auto found = journal.recover();
    REQUIRE(found.ok());
    CHECK(found->records == 30);
    CHECK(found->torn_bytes == 100);
    CHECK(found->torn_why.find("cut short") != std::string::npos);
    CHECK(found->lost == 20);  // 31..50 had been taken: counted as lost
    CHECK(fs::file_size(path) == journal::kFileHeader + 30 * record);
    append_ok(journal, frame(51), 51);
    expect_range(journal, 1, 30);
    expect_frames(journal, 51, 51);
}

TEST_CASE("journal recovery: a record failing its checksum ends the run, wherever it is") {
    TempDir dir;
    const auto path = crashed_journal(dir, 50, {0, 50, false});
    const auto record = journal::kRecordHeader + 300;
    {
        const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
        REQUIRE(fd >= 0);
        CHECK(::pwrite(fd, "X", 1, static_cast<off_t>(journal::kFileHeader + 9 * record + 200)) == 1);  // record 10
        ::close(fd);
    }
    SpillJournal journal(path);
    auto found = journal.recover();
    REQUIRE(found.ok());
    CHECK(found->records == 9);
    CHECK(found->torn_bytes == 41 * record);
    CHECK(found->torn_why.find("checksum") != std::string::npos);
    expect_frames(journal, 1, 9);
}

TEST_CASE("journal recovery: sequence numbers must go up - a record that goes back ends the run") {
    TempDir dir;
    const auto path = dir / "q.journal";
    {
        SpillJournal journal(path);
        append_ok(journal, frame(5), 5);
        append_ok(journal, frame(6), 6);
        append_ok(journal, frame(3), 3);  // as if a stale record survived past the end
        append_ok(journal, frame(7), 7);
    }
    SpillJournal journal(path);
    auto found = journal.recover();
    REQUIRE(found.ok());
    CHECK(found->records == 2);
    CHECK(found->torn_why.find("sequence") != std::string::npos);
    expect_frames(journal, 5, 6);
}

TEST_CASE("journal recovery: what died in memory is bounded by the mark and counted") {
    TempDir dir;
    // 1..40 delivered; 41..70 were in memory (never spilled) when the daemon died; 71..100 are on disk.
    const auto path = dir / "q.journal";
    {
        SpillJournal live(path);
        for (std::uint64_t i = 71; i <= 100; ++i) append_ok(live, frame(i), i);
        REQUIRE(live.flush().ok());
        REQUIRE(live.write_mark({40, 100, false}).ok());
    }
    SpillJournal journal(path);
    auto found = journal.recover();
    REQUIRE(found.ok());
    CHECK(found->records == 30);
    CHECK(found->lost == 30);
    // The same file with the mark of a clean shutdown lost nothing.
    REQUIRE(journal.write_mark({40, 100, true}).ok());
    SpillJournal clean(path);
    auto again = clean.recover();
    REQUIRE(again.ok());
    CHECK(again->records == 30);
    CHECK(again->lost == 0);
}

TEST_CASE("journal recovery: persist puts memory first, then the journal, then what came after, all clean") {
    TempDir dir;
    const auto path = dir / "q.journal";
    {
        SpillJournal journal(path);
        for (std::uint64_t i = 11; i <= 400; ++i) append_ok(journal, frame(i), i);  // part in the write buffer
        expect_range(journal, 11, 20);  // delivered
        std::vector<std::string> before_text;  // as if held in memory
        for (std::uint64_t i = 1; i <= 10; ++i) before_text.push_back(frame(i));
        corral::ipc::SeqFrames before;
        for (std::uint64_t i = 1; i <= 10; ++i) before.emplace_back(i, before_text[i - 1]);
        const std::string late = frame(401);
        corral::ipc::SeqFrames after{{401, late}};
        auto persisted = journal.persist(before, after, 0);
        REQUIRE_MESSAGE(persisted.ok(), persisted.error().message());
        CHECK(journal.count() == 10 + 380 + 1);
        CHECK_FALSE(fs::exists(dir / "q.journal.tmp"));
    }
    SpillJournal next(path);
    auto found = next.recover();
    REQUIRE(found.ok());
    CHECK(found->records == 391);
    CHECK(found->lost == 0);
    expect_range(next, 1, 10);
    expect_frames(next, 21, 401);
}

namespace {

QueueLimits spill_limits(std::uint64_t max_messages, bool durable = false) {
    QueueLimits limits;
    limits.overflow = Overflow::spill;
    limits.max_messages = max_messages;
    limits.durable = durable;
    return limits;
}

fs::path crash_copy(const fs::path& path, TempDir& dir, const std::string& name) {
    fs::copy_file(path, dir / name, fs::copy_options::overwrite_existing);
    return dir / name;
}

}  // namespace

TEST_CASE("delivery queue: a crash loses the memory part and the unwritten batch, and the next queue counts it") {
    TempDir dir;
    const auto path = dir / "q.journal";
    DeliveryQueue queue(spill_limits(10), path);
    REQUIRE(queue.recover().ok());
    for (int i = 1; i <= 100; ++i) CHECK(queue.push(frame(i)));  // 1..10 in memory, 11..100 in the batch
    REQUIRE(queue.sync().ok());  // the mark only: a queue that is not durable writes its batch when full
    DeliveryQueue after_crash(spill_limits(10), crash_copy(path, dir, "crash.journal"));
    auto found = after_crash.recover();
    REQUIRE(found.ok());
    CHECK(found->records == 0);
    CHECK(after_crash.counters().lost == 100);
}

TEST_CASE("durable queue: every frame reaches the journal at each sync, so a crash loses at most one batch") {
    TempDir dir;
    const auto path = dir / "q.journal";
    DeliveryQueue queue(spill_limits(100'000, true), path);
    REQUIRE(queue.recover().ok());
    for (int i = 1; i <= 100; ++i) CHECK(queue.push(frame(i)));
    CHECK(queue.memory_messages() == 0);  // never in memory alone
    {
        DeliveryQueue crashed(spill_limits(10), crash_copy(path, dir, "before-sync.journal"));
        auto found = crashed.recover();
        REQUIRE(found.ok());
        CHECK(found->records == 0);  // the batch of this turn is what a crash loses
    }
    REQUIRE(queue.sync().ok());
    for (int i = 1; i <= 30; ++i) {
        REQUIRE(queue.front() != nullptr);
        CHECK(*queue.front() == frame(i));
        queue.pop();
    }
    REQUIRE(queue.sync().ok());
    DeliveryQueue crashed(spill_limits(10), crash_copy(path, dir, "after-sync.journal"));
    auto found = crashed.recover();
    REQUIRE(found.ok());
    CHECK(found->records == 70);
    CHECK(found->skipped == 30);
    CHECK(crashed.counters().lost == 0);
    CHECK(*crashed.front() == frame(31));
    CHECK(crashed.push("next"));  // behind the replayed ones
    for (int i = 31; i <= 100; ++i) {
        REQUIRE(crashed.front() != nullptr);
        REQUIRE(*crashed.front() == frame(i));
        crashed.pop();
    }
    CHECK(*crashed.front() == "next");
}

TEST_CASE("delivery queue: persist keeps memory, journal and order for the next queue, with nothing lost") {
    TempDir dir;
    const auto path = dir / "q.journal";
    {
        DeliveryQueue queue(spill_limits(10), path);
        REQUIRE(queue.recover().ok());
        for (int i = 1; i <= 1000; ++i) CHECK(queue.push(frame(i)));
        for (int i = 1; i <= 5; ++i) queue.pop();
        REQUIRE(queue.persist().ok());
        CHECK(queue.counters().persisted == 995);
        CHECK(queue.counters().persisted_bytes == 995 * 300);
    }
    DeliveryQueue next(spill_limits(10), path);
    auto found = next.recover();
    REQUIRE(found.ok());
    CHECK(found->records == 995);
    CHECK(next.counters().replayed == 995);
    CHECK(next.counters().lost == 0);
    for (int i = 6; i <= 1000; ++i) {
        REQUIRE(next.front() != nullptr);
        REQUIRE(*next.front() == frame(i));
        next.pop();
    }
    CHECK(next.empty());
}
