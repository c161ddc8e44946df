#include "policies/postmortem_window.hpp"

#include <doctest/doctest.h>

using namespace corral::policies;
using std::chrono::milliseconds;

namespace {

TimePoint at(long ms) { return TimePoint(milliseconds(ms)); }
constexpr Duration kMinute{60'000};

// Feeds one death at `ms` to `window` and returns the choice.
PostmortemChoice die(PostmortemWindow& window, ExitReason reason, long ms, Duration length = kMinute) {
    PostmortemChoice choice = choose_postmortem(window, reason, at(ms), length);
    window = choice.next;
    return choice;
}

}  // namespace

TEST_CASE("post-mortem window: the first death gets a bundle, the rest of its window are counted") {
    PostmortemWindow window;
    const PostmortemChoice first = die(window, ExitReason::exit_code, 1000);
    CHECK(first.write);
    CHECK(first.counted == 0);
    for (unsigned i = 1; i <= 50; ++i) {
        const PostmortemChoice next = die(window, ExitReason::exit_code, 1000 + static_cast<long>(i) * 20);
        CHECK_FALSE(next.write);
        CHECK(next.counted == i);
    }
}

TEST_CASE("post-mortem window: the first death after the window gets a bundle carrying the count") {
    PostmortemWindow window;
    CHECK(die(window, ExitReason::exit_code, 0).write);
    CHECK_FALSE(die(window, ExitReason::signal, 10).write);  // signals and exit codes share a window
    CHECK_FALSE(die(window, ExitReason::exit_code, 59'999).write);
    const PostmortemChoice after = die(window, ExitReason::exit_code, 60'000);
    CHECK(after.write);
    CHECK(after.counted == 2);
    // A new window opened with that bundle: its count starts over.
    const PostmortemChoice again = die(window, ExitReason::exit_code, 60'001);
    CHECK_FALSE(again.write);
    CHECK(again.counted == 1);
}

TEST_CASE("post-mortem window: a memory death gets its bundle while plain crashes are being counted") {
    PostmortemWindow window;
    CHECK(die(window, ExitReason::exit_code, 0).write);
    CHECK_FALSE(die(window, ExitReason::exit_code, 100).write);
    const PostmortemChoice oom = die(window, ExitReason::oom_kill, 200);
    CHECK(oom.write);
    CHECK(oom.counted == 0);
    // ... and a loop of memory deaths is counted too.
    CHECK_FALSE(die(window, ExitReason::oom_kill, 300).write);
    CHECK_FALSE(die(window, ExitReason::v8_heap_oom, 400).write);
    CHECK(window.memory.counted == 2);
    CHECK(window.other.counted == 1);
}

TEST_CASE("post-mortem window: a window of zero bundles every death") {
    PostmortemWindow window;
    for (long ms = 0; ms < 100; ms += 10) {
        const PostmortemChoice choice = die(window, ExitReason::exit_code, ms, Duration{0});
        CHECK(choice.write);
        CHECK(choice.counted == 0);
    }
}

TEST_CASE("post-mortem window: memory deaths and the others, by reason") {
    for (const ExitReason reason : {ExitReason::oom_kill, ExitReason::oom_kill_global, ExitReason::v8_heap_oom,
                                    ExitReason::thrashing, ExitReason::memory_limit}) {
        CHECK(is_memory_death(reason));
    }
    CHECK_FALSE(is_memory_death(ExitReason::signal));
    CHECK_FALSE(is_memory_death(ExitReason::exit_code));
}

TEST_CASE("post-mortem window: a clock that goes back does not keep a window open forever") {
    PostmortemWindow window;
    CHECK(die(window, ExitReason::exit_code, 10'000).write);
    CHECK(die(window, ExitReason::exit_code, 5'000).write);  // now before the window opened: a new one
}
