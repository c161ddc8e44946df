// Spill journals written by the writer thread: the loop's reads never wait for it, order and content hold
// while the disk is behind or full, a queue whose disk is far behind blocks its senders, and the loop hears
// when the writer made progress.
#include "ipc/journal_writer.hpp"

#include <doctest/doctest.h>
#include <uv.h>

#include <cerrno>
#include <chrono>
#include <deque>
#include <filesystem>
#include <string>

#include "ipc/delivery_queue.hpp"
#include "ipc/spill_journal.hpp"
#include "tests/support/file_size_limit.hpp"
#include "tests/support/journal_frames.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/uv_loop.hpp"

using corral::ipc::DeliveryQueue;
using corral::ipc::JournalWriter;
using corral::ipc::QueueLimits;
using corral::ipc::SpillJournal;
using corral::test::FileSizeLimit;
using corral::test::read_one;
using corral::test::TempDir;
namespace fs = std::filesystem;

namespace {

constexpr std::size_t kHeader = corral::ipc::journal::kFileHeader;

std::string frame(std::uint64_t number, std::size_t size) { return corral::test::journal_frame(number, size); }

// A loop whose only other handle is the writer's (unreferenced) async: run_until keeps it turning.
struct Loop {
    corral::test::Loop owner;
    uv_loop_t* get() { return owner.get(); }
    template <typename Done>
    bool run_until(Done done) {
        return corral::test::run_until(owner.get(), done, std::chrono::seconds(10));
    }
};

}  // namespace

TEST_CASE("journal writer: frames come back in order while their writes wait for the disk") {
    TempDir dir;
    const auto path = dir / "q.journal";
    Loop loop;
    int progress = 0;
    {
        JournalWriter writer(loop.get(), [&] { ++progress; });
        writer.hold(true);  // a disk that takes nothing for now
        std::deque<std::string> reference;
        {
            SpillJournal journal(path, &writer);
            for (std::uint64_t i = 0; i < 2000; ++i) {
                reference.push_back(frame(i, 1000 + i % 300));
                REQUIRE(journal.append(reference.back()).ok());
            }
            REQUIRE(journal.flush().ok());
            // Everything is in memory, nothing on disk: the loop did not wait for it.
            CHECK(journal.unwritten_bytes() == journal.file_size());
            CHECK(fs::file_size(path) == 0);
            for (int i = 0; i < 1000; ++i) {
                REQUIRE(read_one(journal) == reference.front());
                reference.pop_front();
            }
            writer.hold(false);
            CHECK(loop.run_until([&] { return progress > 0; }));
            journal.wait_written();
            journal.settle();
            CHECK(journal.unwritten_bytes() == 0);
            CHECK(fs::file_size(path) == journal.file_size());
            // Read on from the disk now, then leave the rest for the next daemon.
            for (int i = 0; i < 500; ++i) {
                REQUIRE(read_one(journal) == reference.front());
                reference.pop_front();
            }
            REQUIRE(journal.write_mark({journal.read_seq(), journal.last_seq(), false, 0}).ok());
        }
        SpillJournal next(path);
        auto found = next.recover();
        REQUIRE(found.ok());
        CHECK(found->records == reference.size());
        while (!reference.empty()) {
            REQUIRE(read_one(next) == reference.front());
            reference.pop_front();
        }
        CHECK(next.empty());
    }
}

TEST_CASE("journal writer: a drained journal is truncated behind the writes queued before it") {
    TempDir dir;
    const auto path = dir / "q.journal";
    Loop loop;
    JournalWriter writer(loop.get(), {});
    SpillJournal journal(path, &writer);
    for (int round = 0; round < 50; ++round) {
        writer.hold(round % 2 == 0);
        std::deque<std::string> reference;
        for (std::uint64_t i = 0; i < 300; ++i) {
            reference.push_back(frame(round * 1000 + i, 500 + (i * 37) % 900));
            REQUIRE(journal.append(reference.back()).ok());
        }
        while (!reference.empty()) {
            REQUIRE(read_one(journal) == reference.front());
            reference.pop_front();
        }
        CHECK(journal.empty());
    }
    writer.hold(false);
    journal.wait_written();
    CHECK(fs::file_size(path) == kHeader);
}

TEST_CASE("journal writer: a disk that fills up and frees again loses and duplicates nothing") {
    TempDir dir;
    const auto path = dir / "q.journal";
    Loop loop;
    JournalWriter writer(loop.get(), {});
    std::deque<std::string> reference;  // taken by the journal, not yet read
    std::deque<std::string> waiting;    // refused: appended again first, in order
    std::uint64_t next = 0;
    std::uint64_t refusals = 0;
    {
        SpillJournal journal(path, &writer);
        auto offer = [&] {
            waiting.push_back(frame(next, next % 40 == 0 ? 200'000 : 900));
            ++next;
            while (!waiting.empty()) {
                auto appended = journal.append(waiting.front());
                if (!appended.ok()) {
                    CHECK(appended.error().code == EFBIG);
                    ++refusals;
                    return;
                }
                reference.push_back(std::move(waiting.front()));
                waiting.pop_front();
            }
        };
        {
            FileSizeLimit limit(300'001);  // for the writer's thread too: the limit is the process's
            for (int i = 0; i < 2000; ++i) {
                offer();
                if (i % 100 == 0) journal.wait_written();
            }
            CHECK(refusals > 0);
            CHECK(journal.count() == reference.size());
            CHECK(fs::file_size(path) <= 300'001);
            REQUIRE(reference.size() > 10);
            for (std::size_t i = 0, half = reference.size() / 2; i < half; ++i) {
                REQUIRE(read_one(journal) == reference.front());
                reference.pop_front();
            }
        }
        for (int i = 0; i < 1000; ++i) {
            offer();
            if (i % 100 == 0) journal.wait_written();
        }
        journal.wait_written();
        for (int i = 0; i < 10 && !waiting.empty(); ++i) {
            offer();
            journal.wait_written();
        }
        CHECK(waiting.size() <= 1);
        CHECK(journal.count() == reference.size());
        for (int i = 0; i < 100; ++i) {
            REQUIRE(read_one(journal) == reference.front());
            reference.pop_front();
        }
        REQUIRE(journal.write_mark({journal.read_seq(), journal.last_seq(), false, 0}).ok());
    }
    // What the first journal did not hand out is on disk, whole and in order.
    SpillJournal again(path);
    auto found = again.recover();
    REQUIRE(found.ok());
    CHECK(found->torn_bytes == 0);
    CHECK(found->records == reference.size());
    while (!reference.empty()) {
        REQUIRE(read_one(again) == reference.front());
        reference.pop_front();
    }
}

TEST_CASE("journal writer: a queue whose journal waits for the disk blocks its senders until the writer catches up") {
    TempDir dir;
    Loop loop;
    DeliveryQueue* watched = nullptr;
    bool unblocked = false;
    JournalWriter writer(loop.get(), [&] {
        if (watched == nullptr) return;
        watched->settle_writes();
        unblocked = unblocked || !watched->blocked();
    });
    QueueLimits limits;
    limits.max_bytes = 64 * 1024;
    auto queue = std::make_unique<DeliveryQueue>(limits, dir / "q.journal", &writer);
    watched = queue.get();
    writer.hold(true);
    std::uint64_t pushed = 0;
    while (!queue->blocked()) {
        REQUIRE(queue->push(frame(pushed++, 4000)));
        REQUIRE(pushed < 10'000);
    }
    CHECK(queue->unwritten_bytes() > DeliveryQueue::kUnwrittenMax);
    CHECK(queue->unwritten_bytes() < DeliveryQueue::kUnwrittenMax + 2 * SpillJournal::buffer_size);
    writer.hold(false);
    CHECK(loop.run_until([&] { return unblocked; }));
    CHECK_FALSE(queue->blocked());
    for (std::uint64_t i = 0; i < pushed; ++i) {
        const std::string* front = queue->front();
        REQUIRE(front != nullptr);
        REQUIRE(*front == frame(i, 4000));
        queue->pop();
    }
    CHECK(queue->empty());
    watched = nullptr;
}
