// The liveness watch on a real loop with a fake owner: a silent incarnation is hung at its deadline (with the
// stack asked for, and the kill going ahead without it), reports keep it alive, and a pause holds the verdict.
#include "supervisor/instance/liveness_watch.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <vector>

#include "supervisor/agent/stack_request.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/uv_loop.hpp"

using namespace corral::supervisor;
using namespace std::chrono_literals;
using corral::policies::Clock;
using corral::policies::LivenessParams;
using corral::test::Loop;
using corral::test::run_until;
using corral::test::TempDir;

namespace {

struct FakeOwner final : LivenessWatch::Owner {
    Pause pause;
    std::vector<std::vector<std::string>> hung;
    Pause loop_pause() const override { return pause; }
    void on_hung(std::vector<std::string> evidence) override { hung.push_back(std::move(evidence)); }
};

}  // namespace

TEST_CASE("liveness watch: silent for event_loop is hung - the stack is asked for, and the kill goes ahead without it") {
    Loop loop;
    TempDir dir;
    {
        FakeOwner owner;
        LivenessWatch watch(loop.get(), owner, "api#0");
        const auto started = Clock::now();
        watch.start(LivenessParams{300ms, 300ms}, dir.path(), started);
        // The request appears; nobody answers it (no agent here).
        REQUIRE(run_until(loop.get(), [&] { return std::filesystem::exists(dir / "javascript-stack.request"); }, 5s));
        CHECK(Clock::now() - started >= 300ms);
        REQUIRE(run_until(loop.get(), [&] { return !owner.hung.empty(); }, 10s));
        CHECK(Clock::now() - started >= 300ms + kStackWait);
        REQUIRE(owner.hung.front().size() == 2);
        CHECK(owner.hung.front()[0].rfind("event loop blocked for ", 0) == 0);
        CHECK(owner.hung.front()[0].find("(no runtime report since it started at ") != std::string::npos);
        CHECK(owner.hung.front()[1] == "no JavaScript stack came within 3.0s of the request (the loop may be stuck outside JavaScript)");
        CHECK_FALSE(std::filesystem::exists(dir / "javascript-stack.request"));
        watch.end();
    }
    CHECK(loop.close() == 0);
}

TEST_CASE("liveness watch: an answer ends the wait - reports keep it alive - a pause holds the verdict") {
    Loop loop;
    TempDir dir;
    {
        FakeOwner owner;
        LivenessWatch watch(loop.get(), owner, "api#0");
        watch.start(LivenessParams{300ms, 300ms}, dir.path(), Clock::now());
        // Reports every 100 ms for a second: never hung.
        for (int i = 0; i < 10; ++i) {
            run_until(loop.get(), [] { return false; }, 100ms);
            watch.report(5, Clock::now());
        }
        CHECK(owner.hung.empty());
        // Paused by corral: nothing is judged, however long.
        owner.pause.now = true;
        run_until(loop.get(), [] { return false; }, 700ms);
        CHECK(owner.hung.empty());
        owner.pause = {false, Clock::now()};
        // Silent after the pause: hung, and the agent's answer (written here by hand) ends the wait.
        REQUIRE(run_until(loop.get(), [&] { return std::filesystem::exists(dir / "javascript-stack.request"); }, 5s));
        dir.write("javascript-stack.json", R"({"frames": []})");
        REQUIRE(run_until(loop.get(), [&] { return !owner.hung.empty(); }, 2s));
        CHECK(owner.hung.front()[0].find("(no runtime report since corral let it run again at ") != std::string::npos);
        CHECK(owner.hung.front()[1].rfind("JavaScript stack taken ", 0) == 0);
        watch.end();
    }
    CHECK(loop.close() == 0);
}
