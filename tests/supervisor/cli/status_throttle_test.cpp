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

TEST_CASE("status: a sender frozen for its channel shows it in its state and in its line") {
    Json frozen = instance("parent", {{"cpu_percent", nullptr}, {"frozen", true}, {"for_ms", 40}, {"peak_unread_bytes", 0}},
                           0, 0);
    frozen["channel_freezes"] = 2;
    frozen["channel_frozen_ms"] = 80;
    Json status = {{"daemon", {{"pid", 7}}}, {"instances", {frozen}}};
    const std::string text = render_status(status, StatusView{});
    CHECK(text.find("frozen (channel)") != std::string::npos);
    CHECK(text.find("parent#0: frozen 2 times, 80ms in all (its channel was a quarter full)\n") != std::string::npos);
    CHECK(text.find("CPU throttled") == std::string::npos);

    // Throttled and frozen at once; both lines' halves.
    status["instances"][0]["throttle"] = {{"cpu_percent", 5}, {"frozen", true}, {"for_ms", 900}, {"peak_unread_bytes", 1}};
    status["instances"][0]["throttles"] = 1;
    status["instances"][0]["throttled_ms"] = 900;
    const std::string both = render_status(status, StatusView{});
    CHECK(both.find("throttled 5%, frozen") != std::string::npos);
    CHECK(both.find("parent#0: CPU throttled 1 time, 900ms in all (its messages waited unread on corral's end); "
                    "frozen 2 times, 80ms in all (its channel was a quarter full)\n") != std::string::npos);
}
