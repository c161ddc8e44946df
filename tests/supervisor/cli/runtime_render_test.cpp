// The Node agent's report in `corral describe`, from canned runtime objects.
#include <doctest/doctest.h>

#include <string>

#include "supervisor/cli/describe_view.hpp"
#include "supervisor/cli/runtime_view.hpp"
#include "tests/support/doctest_strings.hpp"

using namespace corral::supervisor::cli;

namespace {

const Json kRuntime = Json::parse(R"json({"heap_used": 13192288, "heap_total": 30240768, "external": 1620712,
  "array_buffers": 10691, "loop_p50_ms": 10.125, "loop_p99_ms": 12.3, "loop_max_ms": 310.4, "handles": 3,
  "gc_ms": 115.75, "age_ms": 400})json");

}  // namespace

TEST_CASE("describe: an instance's runtime report in two lines under its name") {
    CHECK(runtime_lines(kRuntime, "     ") ==
          "       node  heap 12.6MiB of 28.8MiB, external 1.5MiB, array buffers 10.4KiB, 3 active handles\n"
          "             event-loop delay p50 10.1ms, p99 12.3ms, max 310.4ms; GC 115.8ms in all; reported 400ms ago\n");
}

TEST_CASE("describe: no runtime lines without a report - odd values shown as dashes") {
    CHECK(runtime_lines(nullptr, "     ").empty());
    CHECK(runtime_lines(Json::array(), "     ").empty());
    Json odd = kRuntime;
    odd["heap_used"] = "lots";
    odd["handles"] = 1;
    odd["loop_p50_ms"] = nullptr;
    odd.erase("age_ms");
    const std::string lines = runtime_lines(odd, "");
    CHECK(lines.find("heap - of 28.8MiB") != std::string::npos);
    CHECK(lines.find(", 1 active handle\n") != std::string::npos);
    CHECK(lines.find("p50 -, p99") != std::string::npos);
    CHECK(lines.find("reported -\n") != std::string::npos);
}

TEST_CASE("describe: agent times from microseconds to seconds") {
    CHECK(agent_ms_text(Json(0.25)) == "0.25ms");
    CHECK(agent_ms_text(Json(0)) == "0.00ms");
    CHECK(agent_ms_text(Json(10.04)) == "10.0ms");
    CHECK(agent_ms_text(Json(999.9)) == "999.9ms");
    CHECK(agent_ms_text(Json(1500.0)) == "1.5s");
    CHECK(agent_ms_text(Json("x")) == "-");
}

TEST_CASE("describe: the runtime block follows the instance's exits") {
    const Json result = Json::parse(R"json({"service": {"name": "web"}, "file": {"path": null},
      "instances": [{"service": "web", "index": 0, "state": "running", "pid": 4242, "restarts": 0, "uptime_ms": 5000,
                     "cgroup": null, "memory": null, "last_exit": null, "exits": {"exit-code": 1},
                     "logs": {"out": "o.log", "err": "e.log"}}], "routes": [], "postmortems": []})json");
    Json with_runtime = result;
    with_runtime["instances"][0]["runtime"] = kRuntime;
    const std::string text = render_describe(with_runtime, WallClock::now());
    CHECK(text.find("web#0  cgroup -\n       logs o.log e.log\n       exits exit-code 1\n"
                    "       node  heap 12.6MiB of 28.8MiB") != std::string::npos);
    CHECK(render_describe(result, WallClock::now()).find("node  heap") == std::string::npos);
}
