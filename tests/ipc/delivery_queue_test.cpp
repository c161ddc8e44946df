// The delivery queue: each overflow policy with its exact counters, FIFO order across memory and the
// spill journal (checked against a std::deque over long random runs, with the disk working or not), the
// memory bound, and the journal's file left behind by nobody.
#include "ipc/delivery_queue.hpp"

#include <doctest/doctest.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <deque>
#include <filesystem>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "tests/support/file_size_limit.hpp"
#include "tests/support/temp_dir.hpp"

using corral::ipc::DeliveryQueue;
using corral::ipc::Overflow;
using corral::ipc::QueueLimits;
using corral::ipc::SpillJournal;
using corral::test::FileSizeLimit;
using corral::test::TempDir;
namespace fs = std::filesystem;

namespace {

std::string frame(std::uint64_t number, std::size_t size) {
    std::string text = std::to_string(number) + ":";
    text.resize(std::max(size, text.size()), static_cast<char>('a' + number % 26));
    return text;
}

QueueLimits limits(Overflow overflow, std::uint64_t max_messages, std::uint64_t max_bytes = 1 << 20,
                   std::uint64_t spill_max = 1ull << 30) {
    QueueLimits result;
    result.overflow = overflow;
    result.max_messages = max_messages;
    result.max_bytes = max_bytes;
    result.spill_max = spill_max;
    return result;
}

std::vector<std::string> drain(DeliveryQueue& queue) {
    std::vector<std::string> out;
    while (const std::string* next = queue.front()) {
        out.push_back(*next);
        queue.pop();
    }
    return out;
}

std::vector<std::string> strings(std::initializer_list<const char*> items) { return {items.begin(), items.end()}; }

// Memory stays within max_bytes, but for one frame that is larger on its own.
bool memory_bounded(const DeliveryQueue& queue, std::uint64_t max_bytes) {
    return queue.memory_bytes() <= max_bytes || queue.memory_messages() == 1;
}

// Random push / front / pop runs compared to a std::deque; returns how often the journal was used.
// Frames are up to 700 bytes, with a few just larger than max_bytes and a few larger than the journal's
// buffers. `bounded`: memory must stay within max_bytes (but for one larger frame) at every step.
struct RunStats {
    std::uint64_t journal_drains = 0;  // times the journal went from holding frames to empty
    std::uint64_t max_spilled = 0;
    std::uint64_t max_memory = 0;
};

RunStats compare_with_reference(DeliveryQueue& queue, std::uint64_t operations, std::uint32_t seed,
                                std::uint64_t max_bytes, bool bounded,
                                const std::function<void(std::uint64_t)>& every_step = {}) {
    std::mt19937 random(seed);
    std::deque<std::string> reference;
    std::uint64_t reference_bytes = 0;
    std::uint64_t next = 0;
    std::uint64_t pushes = 0;
    std::uint64_t pops = 0;
    RunStats stats;
    std::uint64_t spilled_before = 0;
    const std::string* held = nullptr;  // what front() handed out: must not move until pop()
    std::string held_copy;
    for (std::uint64_t step = 0; step < operations; ++step) {
        if (every_step) every_step(step);
        // Phases that favour pushing, then popping: the journal fills up and drains again many times.
        const unsigned push_percent = (step / 1500) % 2 == 0 ? 65 : 25;
        const unsigned roll = random() % 100;
        if (roll < push_percent) {
            const unsigned kind = random() % 1000;
            const std::size_t size = kind == 0 ? 70'000 : kind < 20 ? max_bytes + random() % 100 : random() % 700;
            reference.push_back(frame(next++, size));
            reference_bytes += reference.back().size();
            REQUIRE(queue.push(reference.back()));
            ++pushes;
        } else if (roll < push_percent + 5) {
            held = queue.front();
            if (reference.empty()) {
                REQUIRE(held == nullptr);
            } else {
                REQUIRE(held != nullptr);
                REQUIRE(*held == reference.front());
                held_copy = *held;
            }
        } else {
            const std::string* front = queue.front();
            if (reference.empty()) {
                REQUIRE(front == nullptr);
            } else {
                REQUIRE(front != nullptr);
                REQUIRE(*front == reference.front());
                if (held != nullptr) {
                    REQUIRE(front == held);
                    REQUIRE(*held == held_copy);
                }
                reference_bytes -= reference.front().size();
                reference.pop_front();
                queue.pop();
                ++pops;
                held = nullptr;
            }
        }
        REQUIRE(queue.queued_messages() == reference.size());
        REQUIRE(queue.queued_bytes() == reference_bytes);
        REQUIRE(queue.empty() == reference.empty());
        if (bounded) REQUIRE(memory_bounded(queue, max_bytes));
        const std::uint64_t spilled = queue.queued_messages() - queue.memory_messages();
        if (spilled == 0 && spilled_before > 0) ++stats.journal_drains;
        spilled_before = spilled;
        stats.max_spilled = std::max(stats.max_spilled, queue.spilled_bytes());
        stats.max_memory = std::max(stats.max_memory, queue.memory_bytes());
    }
    while (!reference.empty()) {
        const std::string* front = queue.front();
        REQUIRE(front != nullptr);
        REQUIRE(*front == reference.front());
        reference.pop_front();
        queue.pop();
        ++pops;
    }
    CHECK(queue.empty());
    CHECK(queue.front() == nullptr);
    CHECK(queue.memory_bytes() == 0);
    CHECK(queue.counters().received == pushes);
    CHECK(queue.counters().delivered == pops);
    CHECK(queue.counters().dropped == 0);
    return stats;
}

}  // namespace

TEST_CASE("delivery queue: below the limits frames stay in memory and come out in order") {
    TempDir dir;
    DeliveryQueue queue(limits(Overflow::spill, 10), dir / "q.journal");
    CHECK(queue.empty());
    CHECK(queue.front() == nullptr);
    queue.pop();  // nothing to pop: no effect
    CHECK(queue.counters().delivered == 0);
    for (const char* text : {"a", "bb", "ccc"}) CHECK(queue.push(text));
    CHECK(queue.queued_messages() == 3);
    CHECK(queue.queued_bytes() == 6);
    CHECK(queue.memory_bytes() == 6);
    CHECK_FALSE(queue.blocked());
    CHECK(drain(queue) == strings({"a", "bb", "ccc"}));
    CHECK(queue.counters().received == 3);
    CHECK(queue.counters().delivered == 3);
    CHECK(queue.counters().spilled == 0);
    CHECK_FALSE(fs::exists(dir / "q.journal"));  // never needed: never created
}

TEST_CASE("delivery queue: drop-oldest makes room from the front and counts every drop") {
    TempDir dir;
    DeliveryQueue queue(limits(Overflow::drop_oldest, 3), dir / "q.journal");
    for (const char* text : {"a", "b", "c", "d", "e"}) CHECK(queue.push(text));
    CHECK(queue.counters().received == 5);
    CHECK(queue.counters().dropped == 2);
    CHECK(queue.queued_messages() == 3);
    CHECK_FALSE(queue.blocked());
    CHECK(drain(queue) == strings({"c", "d", "e"}));
    CHECK(queue.counters().delivered == 3);

    SUBCASE("by bytes: as many as needed - and a frame larger than max_bytes is kept alone") {
        queue.set_limits(limits(Overflow::drop_oldest, 100, 10));
        for (const char* text : {"1234", "5678", "90"}) CHECK(queue.push(text));
        CHECK(queue.push("abcdefg"));  // 17 bytes would pass 10: "1234" and "5678" go
        CHECK(queue.counters().dropped == 4);
        CHECK(queue.memory_bytes() == 9);
        CHECK(queue.push("0123456789AB"));  // 12 > 10 on its own: everything else goes, it stays
        CHECK(queue.counters().dropped == 6);
        CHECK(queue.queued_messages() == 1);
        CHECK(queue.memory_bytes() == 12);
        CHECK_FALSE(queue.blocked());
        CHECK(queue.push("x"));  // the big one is the oldest now
        CHECK(queue.counters().dropped == 7);
        CHECK(drain(queue) == strings({"x"}));
    }
    SUBCASE("the frame handed out by front() is being delivered and is never dropped") {
        for (const char* text : {"a", "b", "c"}) CHECK(queue.push(text));
        const std::string* delivering = queue.front();
        REQUIRE(delivering != nullptr);
        CHECK(*delivering == "a");
        for (const char* text : {"d", "e", "f", "g"}) CHECK(queue.push(text));
        CHECK(queue.front() == delivering);
        CHECK(*delivering == "a");
        CHECK(queue.counters().dropped == 2 + 4);
        CHECK(drain(queue) == strings({"a", "f", "g"}));
    }
}

TEST_CASE("delivery queue: drop-newest drops the arriving frame when it does not fit") {
    TempDir dir;
    DeliveryQueue queue(limits(Overflow::drop_newest, 2, 100), dir / "q.journal");
    CHECK(queue.push("a"));
    CHECK(queue.push("b"));
    CHECK_FALSE(queue.push("c"));
    CHECK_FALSE(queue.blocked());
    CHECK(queue.counters().received == 3);
    CHECK(queue.counters().dropped == 1);
    queue.pop();
    CHECK(queue.push(std::string(99, 'x')));  // 1 + 99 = 100: fits exactly
    CHECK_FALSE(queue.push(std::string(200, 'y')));
    queue.pop();
    queue.pop();
    CHECK_FALSE(queue.push(std::string(101, 'z')));  // larger than max_bytes: never fits
    CHECK(queue.counters().received == 6);
    CHECK(queue.counters().dropped == 3);
    CHECK(queue.counters().delivered == 3);
    CHECK(queue.empty());
    CHECK_FALSE(fs::exists(dir / "q.journal"));
}

TEST_CASE("delivery queue: block never drops and reports blocked while over its limits") {
    TempDir dir;
    DeliveryQueue queue(limits(Overflow::block, 2, 10), dir / "q.journal");
    CHECK(queue.push("a"));
    CHECK(queue.push("b"));
    CHECK_FALSE(queue.blocked());  // full, not over
    CHECK(queue.push("c"));        // stored anyway: the broker was still reading
    CHECK(queue.blocked());
    CHECK(queue.queued_messages() == 3);
    queue.pop();
    CHECK_FALSE(queue.blocked());
    CHECK(queue.push(std::string(9, 'x')));  // 2 + 9 = 11 bytes, 3 messages
    CHECK(queue.blocked());
    queue.pop();
    CHECK_FALSE(queue.blocked());  // 1 + 9 = 10 bytes in 2 messages: at both limits, not over
    queue.pop();
    CHECK_FALSE(queue.blocked());
    CHECK(queue.counters().received == 4);
    CHECK(queue.counters().dropped == 0);
    CHECK(queue.counters().spilled == 0);
    CHECK(drain(queue) == strings({"xxxxxxxxx"}));
}

TEST_CASE("delivery queue: spill sends the overflow and everything after it through the journal") {
    TempDir dir;
    const auto path = dir / "spill" / "q.journal";
    DeliveryQueue queue(limits(Overflow::spill, 2), path);
    for (int i = 0; i < 4; ++i) CHECK(queue.push(frame(i, 10)));
    CHECK(queue.memory_messages() == 2);
    CHECK(queue.spilled_bytes() == 20);
    CHECK(queue.counters().spilled == 2);
    CHECK(fs::exists(path));
    CHECK(*queue.front() == frame(0, 10));
    queue.pop();
    // Memory has room again, but 2 and 3 are spilled: 4 goes behind them.
    CHECK(queue.push(frame(4, 10)));
    CHECK(queue.counters().spilled == 3);
    CHECK(queue.memory_messages() == 1);
    std::vector<std::string> out = drain(queue);
    CHECK(out == std::vector<std::string>{frame(1, 10), frame(2, 10), frame(3, 10), frame(4, 10)});
    CHECK(fs::file_size(path) == corral::ipc::journal::kFileHeader);  // drained: truncated to its header
    // Drained: memory takes frames again.
    CHECK(queue.push(frame(5, 10)));
    CHECK(queue.counters().spilled == 3);
    CHECK(queue.counters().received == 6);
    CHECK(queue.counters().delivered == 5);
    CHECK(queue.counters().dropped == 0);
}

TEST_CASE("delivery queue: the last spilled frame being delivered does not hold back new arrivals") {
    TempDir dir;
    DeliveryQueue queue(limits(Overflow::spill, 1), dir / "q.journal");
    CHECK(queue.push("a"));
    CHECK(queue.push("b"));  // spilled
    queue.pop();
    CHECK(*queue.front() == "b");  // read from the journal, which is now empty
    CHECK(queue.spilled_bytes() == 0);
    CHECK(queue.push("c"));  // memory is full with "b": spilled
    CHECK(queue.counters().spilled == 2);
    queue.pop();
    CHECK(queue.push("d"));  // "c" is spilled: behind it
    CHECK(drain(queue) == strings({"c", "d"}));
    CHECK(queue.counters().spilled == 3);
}

TEST_CASE("delivery queue: spill_max is a soft cap that blocks the senders but takes what comes") {
    TempDir dir;
    DeliveryQueue queue(limits(Overflow::spill, 1, 1 << 20, 100), dir / "q.journal");
    CHECK(queue.push(frame(0, 30)));  // memory
    for (int i = 1; i <= 4; ++i) {
        CHECK_FALSE(queue.blocked());
        CHECK(queue.push(frame(i, 30)));
    }
    CHECK(queue.spilled_bytes() == 120);
    CHECK(queue.blocked());
    CHECK(queue.push(frame(5, 30)));  // still taken
    CHECK(queue.spilled_bytes() == 150);
    CHECK(queue.counters().dropped == 0);
    queue.pop();                       // frame 0, from memory
    CHECK(queue.blocked());
    CHECK(*queue.front() == frame(1, 30));  // 120 left on disk
    CHECK(queue.blocked());
    queue.pop();
    CHECK(*queue.front() == frame(2, 30));  // 90 left on disk
    CHECK_FALSE(queue.blocked());
    CHECK(drain(queue).size() == 4);
    CHECK(queue.counters().delivered == 6);
}

TEST_CASE("delivery queue: spill order matches a reference deque over 100k random operations") {
    TempDir dir;
    const std::uint64_t max_bytes = 4096;
    DeliveryQueue queue(limits(Overflow::spill, 8, max_bytes), dir / "q.journal");
    const RunStats stats = compare_with_reference(queue, 100'000, 20240611, max_bytes, true);
    CHECK(queue.counters().spilled > 10'000);
    CHECK(stats.journal_drains > 20);
    CHECK(stats.max_spilled > 100'000);
    CHECK_FALSE(queue.journal_error().has_value());
    CHECK(fs::file_size(dir / "q.journal") == corral::ipc::journal::kFileHeader);
}

TEST_CASE("delivery queue: a journal that cannot be created keeps frames in memory and in order") {
    TempDir dir;
    dir.write("file", "not a directory");
    DeliveryQueue queue(limits(Overflow::spill, 2), dir / "file" / "q.journal");
    for (int i = 0; i < 5; ++i) CHECK(queue.push(frame(i, 10)));
    REQUIRE(queue.journal_error().has_value());
    CHECK(queue.journal_error()->code == ENOTDIR);
    CHECK(queue.memory_messages() == 5);  // past the limit rather than lost
    CHECK(queue.blocked());
    CHECK(queue.counters().spilled == 0);
    CHECK(drain(queue) == std::vector<std::string>{frame(0, 10), frame(1, 10), frame(2, 10), frame(3, 10),
                                                   frame(4, 10)});
    CHECK_FALSE(queue.blocked());
}

TEST_CASE("delivery queue: order holds when the disk is full from the start") {
    // The journal's path is a symlink to /dev/full: its write buffer takes 64 KiB, then every flush fails
    // with ENOSPC. Frames refused while the journal holds some wait in memory behind them.
    TempDir dir;
    const auto link = dir / "q.journal";
    fs::create_symlink("/dev/full", link);
    {
        const std::uint64_t max_bytes = 4096;
        DeliveryQueue queue(limits(Overflow::spill, 8, max_bytes), link);
        std::uint64_t max_memory = 0;
        std::mt19937 random(5);
        std::deque<std::string> reference;
        std::uint64_t next = 0;
        for (int round = 0; round < 20; ++round) {
            const int pushes = 100 + static_cast<int>(random() % 400);
            for (int i = 0; i < pushes; ++i) {
                reference.push_back(frame(next++, random() % 1500));
                CHECK(queue.push(reference.back()));
            }
            max_memory = std::max(max_memory, queue.memory_bytes());
            CHECK(queue.blocked());
            const int pops = static_cast<int>(random() % reference.size()) + 1;
            for (int i = 0; i < pops; ++i) {
                REQUIRE(queue.front() != nullptr);
                REQUIRE(*queue.front() == reference.front());
                reference.pop_front();
                queue.pop();
            }
            REQUIRE(queue.queued_messages() == reference.size());
        }
        for (const auto& expected : reference) {
            REQUIRE(queue.front() != nullptr);
            REQUIRE(*queue.front() == expected);
            queue.pop();
        }
        CHECK(queue.empty());
        REQUIRE(queue.journal_error().has_value());
        CHECK(queue.journal_error()->code == ENOSPC);
        CHECK(queue.counters().dropped == 0);
        CHECK(max_memory > max_bytes);
    }
    CHECK(fs::exists("/dev/full"));
}

TEST_CASE("delivery queue: order holds while the disk fills up and frees again at random") {
    TempDir dir;
    const std::uint64_t max_bytes = 4096;
    DeliveryQueue queue(limits(Overflow::spill, 8, max_bytes), dir / "q.journal");
    FileSizeLimit limit(1ull << 40);
    std::mt19937 random(99);
    bool full = false;
    const RunStats stats = compare_with_reference(queue, 30'000, 77, max_bytes, false, [&](std::uint64_t step) {
        if (step % 700 != 0) return;
        full = !full && random() % 2 == 0;
        // While "full", the file cannot grow past what it holds now plus a little.
        if (full) {
            std::error_code ec;
            const auto size = fs::file_size(dir / "q.journal", ec);
            limit.set((ec ? 0 : size) + random() % 20'000);
        } else {
            limit.lift();
        }
    });
    limit.lift();
    REQUIRE(queue.journal_error().has_value());
    CHECK(queue.journal_error()->code == EFBIG);
    CHECK(stats.journal_drains > 0);
    CHECK(stats.max_memory > 4 * max_bytes);  // refused frames waited in memory
}

TEST_CASE("delivery queue: an unreadable journal is given up and counted and the queue goes on") {
    TempDir dir;
    const auto path = dir / "q.journal";
    DeliveryQueue queue(limits(Overflow::spill, 1), path);
    for (int i = 0; i < 200; ++i) CHECK(queue.push(frame(i, 1000)));  // 0 in memory, 1..199 spilled
    REQUIRE(fs::file_size(path) > 0);                                    // the first 65 are on disk
    REQUIRE(::truncate(path.c_str(), 0) == 0);
    CHECK(*queue.front() == frame(0, 1000));
    queue.pop();
    CHECK(queue.front() == nullptr);
    REQUIRE(queue.journal_error().has_value());
    CHECK(queue.journal_error()->code == EBADMSG);
    CHECK(queue.counters().dropped == 199);
    CHECK(queue.empty());
    CHECK(queue.queued_messages() == 0);
    CHECK(queue.push("next"));
    CHECK(queue.push("after"));  // spilled into the journal, which starts afresh
    CHECK(drain(queue) == strings({"next", "after"}));
    CHECK(queue.counters().dropped == 199);
}

TEST_CASE("delivery queue: after a switch away from spill the spilled frames go first") {
    TempDir dir;
    DeliveryQueue queue(limits(Overflow::spill, 2), dir / "q.journal");
    for (int i = 0; i < 5; ++i) CHECK(queue.push(frame(i, 10)));
    queue.set_limits(limits(Overflow::drop_newest, 2));
    CHECK(queue.push(frame(5, 10)));  // behind the journal, not dropped
    CHECK(queue.counters().dropped == 0);
    std::vector<std::string> out = drain(queue);
    REQUIRE(out.size() == 6);
    for (int i = 0; i < 6; ++i) CHECK(out[i] == frame(i, 10));
    // Drained: the new policy applies.
    CHECK(queue.push("a"));
    CHECK(queue.push("b"));
    CHECK_FALSE(queue.push("c"));
    CHECK(queue.counters().dropped == 1);
}

TEST_CASE("delivery queue: 100 MB spilled and replayed with memory under max_bytes - throughput reported") {
    TempDir dir;
    const auto path = dir / "q.journal";
    const std::uint64_t max_bytes = 1 << 20;
    const std::size_t frame_size = 1024;
    const std::uint64_t frames = (100ull << 20) / frame_size;
    std::uint64_t max_memory = 0;
    {
        DeliveryQueue queue(limits(Overflow::spill, 100'000, max_bytes), path);
        std::string text(frame_size, 'x');
        const auto start = std::chrono::steady_clock::now();
        for (std::uint64_t i = 0; i < frames; ++i) {
            const std::string number = std::to_string(i);
            text.replace(0, number.size(), number);
            text[number.size()] = ':';
            REQUIRE(queue.push(text));
            max_memory = std::max(max_memory, queue.memory_bytes());
        }
        const auto spilled = std::chrono::steady_clock::now();
        CHECK(queue.queued_messages() == frames);
        CHECK(queue.memory_bytes() <= max_bytes);
        CHECK(queue.spilled_bytes() == (frames - max_bytes / frame_size) * frame_size);
        CHECK(fs::file_size(path) > 90ull << 20);
        for (std::uint64_t i = 0; i < frames; ++i) {
            const std::string* next = queue.front();
            REQUIRE(next != nullptr);
            const std::string number = std::to_string(i);
            REQUIRE(next->compare(0, number.size() + 1, number + ":") == 0);
            queue.pop();
            max_memory = std::max(max_memory, queue.memory_bytes());
        }
        const auto replayed = std::chrono::steady_clock::now();
        CHECK(queue.empty());
        CHECK(queue.counters().delivered == frames);
        CHECK(fs::file_size(path) == corral::ipc::journal::kFileHeader);
        const auto rate = [&](auto from, auto to) {
            return static_cast<double>(frames) / std::chrono::duration<double>(to - from).count();
        };
        MESSAGE("1 KiB frames: spill " << static_cast<std::uint64_t>(rate(start, spilled)) << " frames/s, replay "
                                       << static_cast<std::uint64_t>(rate(spilled, replayed)) << " frames/s");
        CHECK(queue.push("one more"));
    }
    CHECK(max_memory <= max_bytes + frame_size);
    CHECK_FALSE(fs::exists(path));  // removed with the queue
}

TEST_CASE("delivery queue: a queue destroyed with frames still spilled keeps its journal for the next one") {
    TempDir dir;
    const auto path = dir / "q.journal";
    {
        DeliveryQueue queue(limits(Overflow::spill, 1), path);
        for (int i = 0; i < 1000; ++i) CHECK(queue.push(frame(i, 200)));
        CHECK(fs::exists(path));
        CHECK(queue.queued_messages() == 1000);
    }
    CHECK(fs::exists(path));
    // Frame 0 was in memory only (as in a crash): the next queue replays 1..999 and counts one lost.
    DeliveryQueue next(limits(Overflow::spill, 1), path);
    auto found = next.recover();
    REQUIRE(found.ok());
    CHECK(found->records == 999);
    CHECK(next.counters().lost == 1);
    CHECK(*next.front() == frame(1, 200));
}
