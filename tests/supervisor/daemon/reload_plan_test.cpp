#include "supervisor/daemon/reload_plan.hpp"

#include <doctest/doctest.h>

using namespace corral::supervisor;
using corral::config::ServiceSpec;

namespace {

ServiceSpec service(const std::string& name) {
    ServiceSpec spec;
    spec.name = name;
    spec.command = {"node", name + ".js"};
    spec.cwd = "/srv";
    return spec;
}

std::vector<std::pair<std::string, ReloadAction>> plan(const std::vector<ServiceSpec>& running,
                                                       const std::vector<ServiceSpec>& next) {
    std::vector<std::pair<std::string, ReloadAction>> result;
    for (const auto& step : plan_reload(running, next)) result.emplace_back(step.service, step.action);
    return result;
}

}  // namespace

TEST_CASE("reload plan: added - kept and removed services") {
    const auto a = service("a");
    const auto b = service("b");
    const auto c = service("c");
    CHECK(plan({a, b}, {b, c}) == std::vector<std::pair<std::string, ReloadAction>>{
                                      {"b", ReloadAction::keep}, {"c", ReloadAction::add}, {"a", ReloadAction::remove}});
    CHECK(plan({}, {a}) == std::vector<std::pair<std::string, ReloadAction>>{{"a", ReloadAction::add}});
    CHECK(plan({a}, {}) == std::vector<std::pair<std::string, ReloadAction>>{{"a", ReloadAction::remove}});
}

TEST_CASE("reload plan: what the process starts with changes means a restart") {
    const auto old = service("a");
    auto command = old;
    command.command.push_back("--port=3");
    auto shell = old;
    shell.shell = true;
    auto cwd = old;
    cwd.cwd = "/tmp";
    auto env = old;
    env.env["NODE_ENV"] = "production";
    for (const auto& changed : {command, shell, cwd, env}) {
        CHECK(plan({old}, {changed}) == std::vector<std::pair<std::string, ReloadAction>>{{"a", ReloadAction::restart}});
    }
}

TEST_CASE("reload plan: supervision settings and the instance count apply without a restart") {
    const auto old = service("a");
    auto instances = old;
    instances.instances = 4;
    auto restart = old;
    restart.restart = corral::policies::RestartMode::never;
    auto backoff = old;
    backoff.backoff.factor = 2.0;
    auto limit = old;
    limit.start_limit.burst = 9;
    auto stop = old;
    stop.stop.timeout = std::chrono::milliseconds(100);
    auto logs = old;
    logs.logs.keep = 1;
    for (const auto& changed : {instances, restart, backoff, limit, stop, logs}) {
        CHECK(plan({old}, {changed}) == std::vector<std::pair<std::string, ReloadAction>>{{"a", ReloadAction::update}});
    }
}

TEST_CASE("reload plan: cooling added - changed or removed applies without a restart") {
    auto old = service("a");
    corral::policies::CoolingParams params;
    params.trigger = corral::policies::CoolingTrigger::write_rate;
    params.threshold = 20'000'000;
    auto added = old;
    added.cooling = params;
    auto changed = added;
    changed.cooling->cool = std::chrono::milliseconds(30'000);
    auto frozen = added;
    frozen.cooling->mode = corral::policies::CoolingMode::freeze;
    for (const auto& [from, to] : {std::pair{old, added}, std::pair{added, changed}, std::pair{added, frozen},
                                   std::pair{added, old}}) {
        CHECK(plan({from}, {to}) == std::vector<std::pair<std::string, ReloadAction>>{{"a", ReloadAction::update}});
    }
    CHECK(plan({added}, {added}) == std::vector<std::pair<std::string, ReloadAction>>{{"a", ReloadAction::keep}});
}
