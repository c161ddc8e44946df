// `status TARGET`: the daemon's status cut down to one service or instance.
#include <doctest/doctest.h>

#include "supervisor/daemon/status_filter.hpp"

using namespace corral::supervisor;
using nlohmann::json;

TEST_CASE("status filter: instances, routes and channels of the target - and the daemon part stays") {
    const json status = json::parse(R"({
      "daemon": {"pid": 1},
      "instances": [{"service": "web", "index": 0}, {"service": "web", "index": 1}, {"service": "worker", "index": 0}],
      "routes": [{"from": "web", "to": "worker"}, {"from": "api", "to": "jobs"}, {"from": "worker", "to": "web"}],
      "channels": [{"instance": "web#0"}, {"instance": "web#1"}, {"instance": "webby#0"}, {"instance": "worker#0"}]
    })");
    json web = status;
    keep_only(web, {"web", std::nullopt});
    CHECK(web["daemon"] == status["daemon"]);
    CHECK(web["instances"] == json::parse(R"([{"service": "web", "index": 0}, {"service": "web", "index": 1}])"));
    CHECK(web["routes"] == json::parse(R"([{"from": "web", "to": "worker"}, {"from": "worker", "to": "web"}])"));
    CHECK(web["channels"] == json::parse(R"([{"instance": "web#0"}, {"instance": "web#1"}])"));

    json one = status;
    keep_only(one, {"web", 1u});
    CHECK(one["instances"] == json::parse(R"([{"service": "web", "index": 1}])"));
    CHECK(one["channels"] == json::parse(R"([{"instance": "web#1"}])"));

    json all = status;
    keep_only(all, {});
    CHECK(all == status);
    json odd = json::parse(R"({"instances": 5, "routes": [1, "x"]})");
    keep_only(odd, {"web", std::nullopt});
    CHECK(odd == json::parse(R"({"instances": 5, "routes": []})"));
}
