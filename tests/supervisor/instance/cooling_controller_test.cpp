// The cooling controller on a real loop: its timer ends cool periods and turns schedules. The owner is a
// fake that records what it hears; the cgroup driver is a fake that records freezes (nothing else of it
// is used).
#include "supervisor/instance/cooling_controller.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "tests/support/uv_loop.hpp"

using corral::policies::Clock;
using corral::policies::CoolingMode;
using corral::policies::CoolingParams;
using corral::policies::CoolingTrigger;
using corral::policies::Duration;
using corral::supervisor::CoolingController;
using corral::supervisor::GroupFreezer;
using corral::test::Loop;
using corral::test::run_until;
using namespace std::chrono_literals;
namespace cgroup = corral::supervisor::cgroup;

namespace {

struct Owner final : CoolingController::Owner {
    bool running = true;
    std::vector<std::pair<bool, std::string>> heard;

    void on_cooling(bool cooling, const std::string& reason) override { heard.emplace_back(cooling, reason); }
};

corral::SysError unused() { return corral::SysError{ENOSYS, "use", "a fake driver"}; }

// Records freeze() calls; every other operation fails.
struct FreezeRecorder final : cgroup::Driver {
    std::vector<std::pair<std::string, bool>> freezes;

    corral::Status freeze(const std::string& name, bool frozen) override {
        freezes.emplace_back(name, frozen);
        return {};
    }
    std::string describe() const override { return "fake"; }
    std::vector<std::string> unsupported(const cgroup::Limits&) const override { return {}; }
    corral::Status create(const std::string&, const cgroup::Limits&) override { return unused(); }
    corral::Status set_limits(const std::string&, const cgroup::Limits&) override { return unused(); }
    corral::Status set_cpu_max(const std::string&, std::optional<unsigned>) override { return unused(); }
    std::vector<cgroup::JoinTarget> join_targets(const std::string&) const override { return {}; }
    corral::Result<std::vector<pid_t>> procs(const std::string&) override { return unused(); }
    corral::Result<bool> populated(const std::string&) override { return unused(); }
    corral::Status kill_all(const std::string&) override { return unused(); }
    corral::Result<cgroup::MemoryStats> memory(const std::string&) override { return unused(); }
    corral::Status remove(const std::string&) override { return unused(); }
    cgroup::fs::path events_file(const std::string&) const override { return {}; }
    corral::Result<int> open_oom_watch(const std::string&) override { return unused(); }
    corral::Result<std::uint64_t> oom_kills(const std::string&) override { return unused(); }
    bool supports_pressure() const override { return false; }
    cgroup::fs::path pressure_file(const std::string&) const override { return {}; }
    corral::Status reset_peak(const std::string&) override { return unused(); }
    corral::Result<std::string> memory_stat(const std::string&) override { return unused(); }
    corral::Result<int> clear_leftovers() override { return unused(); }
    corral::Status remove_top() override { return unused(); }
};

struct Case {
    Loop loop;
    Owner owner;
    FreezeRecorder cgroups;
    GroupFreezer freezer{"api#0", &cgroups, [this] { return owner.running; }};
    std::unique_ptr<CoolingController> cooling =
        std::make_unique<CoolingController>(loop.get(), owner, CoolingController::Setup{"api#0", "api", 0, nullptr, &freezer});

    // The program runs in `group` with `params`.
    void start(const std::optional<CoolingParams>& params, const std::string& group) {
        freezer.set_group(group);
        cooling->start(params, Clock::now());
    }

    // The controller goes (closing its timer), the loop runs empty and closes.
    int close() {
        cooling.reset();
        return loop.close();
    }
};

CoolingParams memory_trigger(CoolingMode mode) {
    CoolingParams params;
    params.trigger = CoolingTrigger::memory;
    params.threshold = 0.5;
    params.sustain = Duration{0};
    params.mode = mode;
    return params;
}

cgroup::MemoryStats memory_at(std::uint64_t current, std::uint64_t max) {
    cgroup::MemoryStats stats;
    stats.current = current;
    stats.max = max;
    return stats;
}

}  // namespace

TEST_CASE("cooling controller: a schedule cools and works again on its own timer") {
    Case c;
    CoolingParams params;
    params.trigger = CoolingTrigger::schedule;
    params.work = Duration{30};
    params.cool = Duration{30};
    c.start(params, "");
    REQUIRE(run_until(c.loop.get(), [&] { return c.owner.heard.size() >= 2; }, 5s));

    CHECK(c.owner.heard[0].first);
    CHECK(c.owner.heard[0].second.starts_with("schedule: "));
    CHECK_FALSE(c.owner.heard[1].first);
    CHECK(c.owner.heard[1].second.starts_with("cool period of "));
    c.cooling->end();
    const auto heard = c.owner.heard.size();
    uv_run(c.loop.get(), UV_RUN_DEFAULT);  // returns at once: end() stopped the timer
    CHECK(c.owner.heard.size() == heard);
    CHECK(c.cgroups.freezes.empty());  // hold mode
    CHECK(c.close() == 0);
}

TEST_CASE("cooling controller: corral cool and corral heat, only while an incarnation runs") {
    Case c;
    CHECK_FALSE(c.cooling->cool(std::nullopt));
    c.start(std::nullopt, "api/0");
    CHECK_FALSE(c.cooling->state(Clock::now()));

    const auto cooled = c.cooling->cool(std::nullopt);
    REQUIRE(cooled);
    CHECK(cooled->cooling);
    CHECK(cooled->reason == "manual: corral cool");
    const auto state = c.cooling->state(Clock::now());
    REQUIRE(state);
    CHECK(state->mode == CoolingMode::hold);
    CHECK_FALSE(state->left);
    CHECK(state->reason == "manual: corral cool");

    const auto heated = c.cooling->heat();
    REQUIRE(heated);
    CHECK_FALSE(heated->cooling);
    CHECK_FALSE(c.cooling->state(Clock::now()));
    CHECK(c.owner.heard == std::vector<std::pair<bool, std::string>>{{true, "manual: corral cool"},
                                                                      {false, "manual: corral heat"}});
    c.cooling->end();
    CHECK_FALSE(c.cooling->heat());
    CHECK(c.close() == 0);
}

TEST_CASE("cooling controller: a cool period of a given length ends on the timer") {
    Case c;
    c.start(std::nullopt, "api/0");
    REQUIRE(c.cooling->cool(Duration{20}));
    uv_run(c.loop.get(), UV_RUN_DEFAULT);

    REQUIRE(c.owner.heard.size() == 2);
    CHECK_FALSE(c.owner.heard[1].first);
    CHECK(c.owner.heard[1].second.starts_with("cool period of "));
    CHECK(c.close() == 0);
}

TEST_CASE("cooling controller: freeze mode freezes the cgroup, a stop thaws it, and the exit ends cooling") {
    Case c;
    c.start(memory_trigger(CoolingMode::freeze), "api/0");
    const auto stats = memory_at(90, 100);
    c.cooling->sample(memory_trigger(CoolingMode::freeze), &stats, 0, 1000, Clock::now());

    REQUIRE(c.owner.heard.size() == 1);
    CHECK(c.owner.heard[0].first);
    CHECK(c.owner.heard[0].second.starts_with("memory 90% of memory.max over 50%"));
    CHECK(c.cgroups.freezes == std::vector<std::pair<std::string, bool>>{{"api/0", true}});
    c.freezer.thaw();
    CHECK(c.cgroups.freezes.back() == std::pair<std::string, bool>{"api/0", false});
    c.cooling->end();
    CHECK(c.owner.heard.back() == std::pair<bool, std::string>{false, "the program exited"});
    CHECK(c.cgroups.freezes.size() == 2);
    CHECK(c.close() == 0);
}

TEST_CASE("cooling controller: an instance on its way down cools without being frozen") {
    Case c;
    c.owner.running = false;
    c.start(memory_trigger(CoolingMode::freeze), "api/0");
    const auto stats = memory_at(90, 100);
    c.cooling->sample(memory_trigger(CoolingMode::freeze), &stats, 0, 1000, Clock::now());

    REQUIRE(c.owner.heard.size() == 1);
    CHECK(c.owner.heard[0].first);
    CHECK(c.cgroups.freezes.empty());
    CHECK(c.close() == 0);
}

TEST_CASE("cooling controller: samples without memory figures change nothing - new params apply live") {
    Case c;
    c.start(memory_trigger(CoolingMode::hold), "api/0");
    c.cooling->sample(memory_trigger(CoolingMode::hold), nullptr, 0, 1000, Clock::now());
    CHECK(c.owner.heard.empty());

    // A reload raises the threshold: 90% no longer cools.
    CoolingParams raised = memory_trigger(CoolingMode::hold);
    raised.threshold = 0.95;
    const auto stats = memory_at(90, 100);
    c.cooling->sample(raised, &stats, 0, 2000, Clock::now());
    CHECK(c.owner.heard.empty());
    c.cooling->sample(memory_trigger(CoolingMode::hold), &stats, 0, 3000, Clock::now());
    CHECK(c.owner.heard.size() == 1);
    CHECK(c.close() == 0);
}
