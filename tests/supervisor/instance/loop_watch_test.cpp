// The exit time of a process heard by the loop: now, unless the loop woke later than it planned (the
// daemon was stopped), then the moment it went to wait.
#include "supervisor/instance/loop_watch.hpp"

#include <doctest/doctest.h>

#include "tests/support/uv_loop.hpp"

using corral::supervisor::LoopWatch;
using corral::policies::TimePoint;
using namespace std::chrono_literals;

TEST_CASE("loop watch: an exit heard while the loop keeps its plan happened now") {
    corral::test::Loop loop;
    LoopWatch watch(loop.get());
    const TimePoint t0 = TimePoint{} + 1000s;
    watch.went_to_wait(t0, 1000);
    CHECK(watch.exit_time(t0 + 10ms) == t0 + 10ms);
    CHECK(watch.exit_time(t0 + 1000ms + LoopWatch::kLateness) == t0 + 1000ms + LoopWatch::kLateness);
    watch.close();
    CHECK(loop.close() == 0);
}

TEST_CASE("loop watch: an exit heard after the loop overslept is dated when the loop went to wait") {
    corral::test::Loop loop;
    LoopWatch watch(loop.get());
    const TimePoint t0 = TimePoint{} + 1000s;
    watch.went_to_wait(t0, 1000);
    CHECK(watch.exit_time(t0 + 5s) == t0);
    watch.went_to_wait(t0 + 10s, 0);
    CHECK(watch.exit_time(t0 + 10s + 600ms) == t0 + 10s);
    watch.close();
    CHECK(loop.close() == 0);
}

TEST_CASE("loop watch: an exit heard just after the loop resumed from an oversleep is dated when it stopped") {
    corral::test::Loop loop;
    LoopWatch watch(loop.get());
    const TimePoint t0 = TimePoint{} + 1000s;
    watch.went_to_wait(t0, 1000);
    // The wait ended with its timer, 5 s late; the exit is heard in the next wait.
    watch.went_to_wait(t0 + 5s, 1000);
    CHECK(watch.exit_time(t0 + 5s + 1ms) == t0);
    CHECK(watch.exit_time(t0 + 5s + LoopWatch::kLateness) == t0);
    // Later exits happened after the daemon ran again.
    CHECK(watch.exit_time(t0 + 5s + LoopWatch::kLateness + 1ms) == t0 + 5s + LoopWatch::kLateness + 1ms);
    watch.went_to_wait(t0 + 6s, 1000);
    CHECK(watch.exit_time(t0 + 6s + 10ms) == t0 + 6s + 10ms);
    watch.close();
    CHECK(loop.close() == 0);
}

TEST_CASE("loop watch: without a planned wake-up (no timer) the exit is dated when it is heard") {
    corral::test::Loop loop;
    LoopWatch watch(loop.get());
    const TimePoint t0 = TimePoint{} + 1000s;
    CHECK(watch.exit_time(t0) == t0);
    watch.went_to_wait(t0, -1);
    CHECK(watch.exit_time(t0 + 1h) == t0 + 1h);
    watch.close();
    CHECK(loop.close() == 0);
}

TEST_CASE("loop watch: the prepare handle records each wait of a running loop") {
    corral::test::Loop loop;
    LoopWatch watch(loop.get());
    uv_timer_t timer;
    uv_timer_init(loop.get(), &timer);
    const TimePoint before = corral::policies::Clock::now();
    uv_update_time(loop.get());
    uv_timer_start(&timer, [](uv_timer_t*) {}, 20, 0);
    uv_run(loop.get(), UV_RUN_DEFAULT);
    // The loop planned to wake after 20 ms and did: an exit heard now is dated now. (libuv's loop clock
    // counts whole milliseconds, rounded down: the timer may fire up to 1 ms short of 20 real ones.)
    const TimePoint now = corral::policies::Clock::now();
    CHECK(watch.exit_time(now) == now);
    CHECK(now - before >= 19ms);
    uv_close(reinterpret_cast<uv_handle_t*>(&timer), nullptr);
    watch.close();
    CHECK(loop.close() == 0);
}
