// The JavaScript stack of a bundle: the agent's javascript-stack.json (hung), else Node's report-*.json.
#include "supervisor/postmortem/javascript_stack.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "tests/support/doctest_strings.hpp"
#include "tests/support/temp_dir.hpp"

using namespace corral::supervisor::postmortem;
using corral::test::TempDir;

namespace {

const char* kAgentStack = R"js({"pid": 4555, "taken_at": "2026-12-07T23:08:43.384Z", "frames": [
 {"function": "spinForever", "url": "file:///srv/app.js", "line": 4, "column": 3},
 {"function": "", "url": "/srv/app.js", "line": 6, "column": 33},
 {"function": "listOnTimeout", "url": "node:internal/timers", "line": 581, "column": 17}]})js";

// The part of a Node diagnostic report (report-on-fatalerror) that matters here.
const char* kNodeReport = R"js({"header": {"event": "Allocation failed - JavaScript heap out of memory"},
 "javascriptStack": {"message": "No message available", "stack": [
  "at grow (/srv/hog.js:12:15)", "at /srv/hog.js:20:1", "at new Store (file:///srv/store.mjs:3:9)",
  "at Module._compile (node:internal/modules/cjs/loader:1256:14)"]}})js";

}  // namespace

TEST_CASE("javascript stack: the agent's frames - file URLs as paths and nameless functions named") {
    const auto frames = parse_agent_stack(kAgentStack);
    REQUIRE(frames.has_value());
    CHECK(*frames == std::vector<StackFrame>{{"spinForever", "/srv/app.js", 4, 3},
                                             {"(anonymous)", "/srv/app.js", 6, 33},
                                             {"listOnTimeout", "node:internal/timers", 581, 17}});
    CHECK(frame_text(frames->front()) == "spinForever (/srv/app.js:4:3)");
    CHECK_FALSE(parse_agent_stack("not json").has_value());
    CHECK_FALSE(parse_agent_stack(R"({"frames": 3})").has_value());
}

TEST_CASE("javascript stack: Node's report lines - with and without a function name") {
    const auto frames = parse_report_stack(kNodeReport);
    REQUIRE(frames.has_value());
    CHECK(*frames == std::vector<StackFrame>{{"grow", "/srv/hog.js", 12, 15},
                                             {"(anonymous)", "/srv/hog.js", 20, 1},
                                             {"new Store", "/srv/store.mjs", 3, 9},
                                             {"Module._compile", "node:internal/modules/cjs/loader", 1256, 14}});
    CHECK_FALSE(parse_report_stack(R"({"header": {}})").has_value());
}

TEST_CASE("javascript stack: a bundle's own file comes first - a report's otherwise - none is no error") {
    TempDir dir;
    CHECK_FALSE(read_javascript_stack(dir.path()).has_value());
    dir.write("report.20261207.230522.31984.0.001.json", kNodeReport);
    auto stack = read_javascript_stack(dir.path());
    REQUIRE(stack.has_value());
    CHECK(stack->source == "report.20261207.230522.31984.0.001.json");
    CHECK(stack->frames.front().function == "grow");
    dir.write("javascript-stack.json", kAgentStack);
    stack = read_javascript_stack(dir.path());
    REQUIRE(stack.has_value());
    CHECK(stack->source == "javascript-stack.json");
    CHECK(stack->frames.front().function == "spinForever");
    CHECK(stack_json(stack)["frames"][0]["line"] == 4);
    CHECK(stack_json(std::nullopt).is_null());
}
