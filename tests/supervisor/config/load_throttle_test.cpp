// A service's `throttle` key: the sender throttle's defaults, true/false and a table; then files that are
// rejected with the exact messages a user sees.
#include <doctest/doctest.h>

#include <chrono>
#include <optional>
#include <string_view>

#include "supervisor/config/load_config.hpp"
#include "tests/support/config_loading.hpp"

using namespace std::chrono_literals;
using corral::config::Config;
using corral::policies::SenderThrottleParams;

using corral::test::Messages;
using corral::test::errors_of;
using corral::test::load_text_ok;
using corral::test::service;

namespace {

std::optional<SenderThrottleParams> throttle_of(std::string_view extra) {
    const Config config = load_text_ok(service(extra));
    REQUIRE(config.services.size() == 1);
    return config.services[0].throttle;
}

}  // namespace

TEST_CASE("throttle: on by default, with its defaults, or true and false") {
    CHECK(throttle_of("") == SenderThrottleParams{});
    CHECK(throttle_of("throttle = true\n") == SenderThrottleParams{});
    CHECK(throttle_of("throttle = false\n") == std::nullopt);
    CHECK(SenderThrottleParams{}.above == 2u << 20);
    CHECK(SenderThrottleParams{}.for_ == 100ms);
    CHECK(SenderThrottleParams{}.cpu_percent == 10);
}

TEST_CASE("throttle: a table sets what it names and keeps the defaults for the rest") {
    CHECK(throttle_of("throttle = { above = \"8MiB\" }\n") == SenderThrottleParams{.above = 8u << 20});
    CHECK(throttle_of("throttle = { above = \"256KiB\", for = \"20ms\", cpu = \"5%\" }\n") ==
          SenderThrottleParams{.above = 256u << 10, .for_ = 20ms, .cpu_percent = 5});
    CHECK(throttle_of("[services.api.throttle]\ncpu = \"150%\"\n") == SenderThrottleParams{.cpu_percent = 150});
}

TEST_CASE("throttle: wrong values are reported with their place") {
    CHECK(errors_of(service("throttle = \"yes\"\n")) ==
          Messages{"t.toml:3:12: invalid value for services.api.throttle (expected true, false or a table such as "
                   "{ above = \"2MiB\", cpu = \"10%\" }, got \"yes\")"});
    CHECK(errors_of(service("throttle = { cpu = \"0%\" }\n")) ==
          Messages{"t.toml:3:20: invalid value for services.api.throttle.cpu (expected a whole percentage of one CPU "
                   "from 1% such as \"10%\", got \"0%\")"});
    CHECK(errors_of(service("throttle = { cpu = 10 }\n")) ==
          Messages{"t.toml:3:20: invalid value for services.api.throttle.cpu (expected a whole percentage of one CPU "
                   "from 1% such as \"10%\", got integer 10)"});
    CHECK(errors_of(service("throttle = { abvoe = \"1MiB\" }\n")) ==
          Messages{"t.toml:3:14: unknown key \"abvoe\" in [services.api.throttle] (did you mean \"above\"?)"});
    CHECK_FALSE(errors_of(service("throttle = { above = \"1KiB\" }\n")).empty());
    CHECK_FALSE(errors_of(service("throttle = { for = \"0ms\" }\n")).empty());
}
