// The sender throttle in `corral status`: the state cell while it lasts, a line per instance that ever was.
#include <doctest/doctest.h>

#include <string>

#include "supervisor/cli/status_view.hpp"
#include "tests/support/doctest_strings.hpp"

using namespace corral::supervisor::cli;

namespace {

Json instance(const std::string& service, Json throttle, int throttles, long long throttled_ms) {
    return {{"service", service}, {"index", 0}, {"state", "running"}, {"pid", 42}, {"uptime_ms", 5000},
            {"restarts", 0}, {"cooling", nullptr}, {"throttle", std::move(throttle)}, {"throttles", throttles},
            {"throttled_ms", throttled_ms}};
}

}  // namespace

TEST_CASE("status: a throttled sender shows it in its state, and every instance that was throttled gets a line") {
    Json status = {{"daemon", {{"pid", 7}}},
                   {"instances",
                    {instance("parent", {{"cpu_percent", 10}, {"for_ms", 300}, {"peak_unread_bytes", 3 << 20}}, 3, 4200),
                     instance("child", nullptr, 0, 0)}}};
    const std::string text = render_status(status, StatusView{});
    CHECK(text.find("throttled 10%") != std::string::npos);
    CHECK(text.find("parent#0: CPU throttled 3 times, 4.2s in all (its messages waited unread on corral's end)\n") !=
          std::string::npos);
    CHECK(text.find("child#0: CPU throttled") == std::string::npos);

    status["instances"][0] = instance("parent", nullptr, 1, 600);
    const std::string after = render_status(status, StatusView{});
    CHECK(after.find("throttled 10%") == std::string::npos);
    CHECK(after.find("parent#0: CPU throttled 1 time, 600ms in all") != std::string::npos);
}
