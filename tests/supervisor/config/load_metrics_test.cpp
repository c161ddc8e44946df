// [supervisor] metrics: the addresses it takes, and the messages for those it refuses.
#include <doctest/doctest.h>

#include <string>
#include <string_view>

#include "supervisor/config/load_config.hpp"
#include "tests/support/config_loading.hpp"

using corral::config::MetricsAddress;
using corral::test::Messages;
using corral::test::errors_of;
using corral::test::load_text_ok;
using corral::test::service;

namespace {

std::string with_metrics(std::string_view value) {
    return "[supervisor]\nmetrics = " + std::string(value) + "\n" + service("");
}

}  // namespace

TEST_CASE("metrics takes an IPv4 or bracketed IPv6 address with a port, 0 included - absent means no endpoint") {
    CHECK(!load_text_ok(service("")).supervisor.metrics);
    const auto v4 = load_text_ok(with_metrics("\"127.0.0.1:9464\"")).supervisor.metrics;
    REQUIRE(v4);
    CHECK(*v4 == MetricsAddress{"127.0.0.1", 9464});
    CHECK(v4->text() == "127.0.0.1:9464");
    const auto v6 = load_text_ok(with_metrics("\"[::1]:0\"")).supervisor.metrics;
    REQUIRE(v6);
    CHECK(*v6 == MetricsAddress{"::1", 0});
    CHECK(v6->text() == "[::1]:0");
    CHECK(load_text_ok(with_metrics("\"0.0.0.0:9464\"")).supervisor.metrics->host == "0.0.0.0");
}

TEST_CASE("a bad metrics address is an error at its place, saying what is wrong") {
    CHECK(errors_of(with_metrics("9464")) ==
          Messages{"t.toml:2:11: invalid value for supervisor.metrics (expected an address such as \"127.0.0.1:9464\" "
                   "or \"[::1]:9464\" (port 0: any free port), got integer 9464)"});
    CHECK(errors_of(with_metrics("\"localhost:9464\"")) ==
          Messages{"t.toml:2:11: invalid address for supervisor.metrics: \"localhost\" is not an IPv4 address (IPv6 "
                   "goes in brackets: \"[::1]:9464\"; host names are not resolved) (expected an address such as "
                   "\"127.0.0.1:9464\" or \"[::1]:9464\" (port 0: any free port), got \"localhost:9464\")"});
    const auto message = [](std::string_view value) {
        const Messages errors = errors_of(with_metrics(value));
        return errors.size() == 1 ? errors[0] : std::string("(not one error)");
    };
    CHECK(message("\"127.0.0.1:70000\"").find("the port must be a number from 0 to 65535") != std::string::npos);
    CHECK(message("\"127.0.0.1:\"").find("the port must be a number from 0 to 65535") != std::string::npos);
    CHECK(message("\"127.0.0.1\"").find("the port is missing") != std::string::npos);
    CHECK(message("\":9464\"").find("the host is missing") != std::string::npos);
    CHECK(message("\"[::1:9464\"").find("is not an IPv4 address") != std::string::npos);
    CHECK(message("\"[nope]:9464\"").find("\"nope\" is not an IPv6 address") != std::string::npos);
    CHECK(message("\"9464\"").find("the port is missing") != std::string::npos);
}
