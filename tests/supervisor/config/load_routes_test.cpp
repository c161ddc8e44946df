// The IPC keys of a service file: [supervisor] max_message, a service's ipc and parent, and the top-level
// [[routes]]. Files that load, then files that are rejected with the exact messages a user sees.
#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "supervisor/config/load_config.hpp"
#include "tests/support/config_loading.hpp"

using corral::config::Config;
using corral::config::Delivery;
using corral::config::IpcMode;
using corral::config::RouteSpec;
using corral::config::ServiceSpec;
using corral::ipc::Overflow;
using corral::ipc::QueueLimits;
using corral::policies::RateParams;

using corral::test::Messages;
using corral::test::errors_of;
using corral::test::load_text_ok;
using corral::test::messages;

namespace {

// Three services on lines 1 to 7: api and writer with json channels, audit with an advanced one.
constexpr std::string_view kServices = R"([services.api]
command = ["node", "api.js"]
[services.writer]
command = ["node", "writer.js"]
[services.audit]
command = ["node", "audit.js"]
ipc = "advanced"
)";

// kServices, then one [[routes]] entry on line 8 with `body` from line 9.
std::string route(std::string_view body) { return std::string(kServices) + "[[routes]]\n" + std::string(body); }

// One route from api to writer with `line` on line 11.
std::string api_to_writer(std::string_view line) {
    return route("from = \"api\"\nto = \"writer\"\n" + std::string(line) + "\n");
}

RouteSpec route_spec(std::string from, std::string to, bool implicit) {
    RouteSpec spec;
    spec.from = std::move(from);
    spec.to = std::move(to);
    spec.implicit = implicit;
    return spec;
}

constexpr std::uint64_t kKiB = 1ull << 10;
constexpr std::uint64_t kMiB = 1ull << 20;
constexpr std::uint64_t kGiB = 1ull << 30;

}  // namespace

TEST_CASE("routes - parents and max_message with every value set load into the specs") {
    const Config config = load_text_ok(R"([supervisor]
max_message = "64MiB"

[services.api]
command = ["node", "api.js"]
ipc = "json"

[services.writer]
command = ["node", "writer.js"]
parent = "api"

[services.worker]
command = ["node", "worker.js"]
instances = 4

[services.audit]
command = ["node", "audit.js"]
ipc = "advanced"

[services.archive]
command = ["node", "archive.js"]
ipc = "advanced"
parent = "audit"

[services.reporter]
command = ["node", "reporter.js"]
ipc = "advanced"

[services.metrics]
command = ["node", "metrics.js"]
ipc = "off"

[services.ledger]
command = ["node", "ledger.js"]
ipc = "advanced"

[[routes]]
from = "api"
to = "worker"
rate = "2000/s"
byte_rate = "20MiB/s"
burst = 500
delivery = "broadcast"
queue = { max_bytes = "32MiB", max_messages = 5000, overflow = "drop-newest", spill_max = "2GiB" }

[[routes]]
from = "worker"
to = "api"
rate = "30/m"

[[routes]]
from = "ledger"
to = "reporter"
byte_rate = "4096/s"

[routes.queue]
overflow = "drop-oldest"
max_bytes = 65536

[[routes]]
from = "writer"
to = "worker"
delivery = "round-robin"
queue = { overflow = "block", max_messages = 1 }

[[routes]]
from = "reporter"
to = "audit"
rate = "0.5/s"
burst = 1
queue = { spill_max = "1MiB" }
)");
    CHECK(config.supervisor.max_message == 64 * kMiB);

    REQUIRE(config.services.size() == 8);
    const IpcMode modes[] = {IpcMode::json,     IpcMode::json,     IpcMode::json, IpcMode::advanced,
                             IpcMode::advanced, IpcMode::advanced, IpcMode::off,  IpcMode::advanced};
    const std::string_view parents[] = {"", "api", "", "", "audit", "", "", ""};
    for (std::size_t i = 0; i < 8; ++i) {
        CAPTURE(config.services[i].name);
        CHECK(config.services[i].ipc == modes[i]);
        CHECK(config.services[i].parent == parents[i]);
    }

    REQUIRE(config.routes.size() == 9);

    const RouteSpec& api_worker = config.routes[0];
    CHECK(api_worker.from == "api");
    CHECK(api_worker.to == "worker");
    REQUIRE(api_worker.rate.messages_per_second.has_value());
    CHECK(*api_worker.rate.messages_per_second == 2000.0);
    REQUIRE(api_worker.rate.bytes_per_second.has_value());
    CHECK(*api_worker.rate.bytes_per_second == static_cast<double>(20 * kMiB));
    CHECK(api_worker.rate.burst_messages == 500.0);
    CHECK(api_worker.rate.burst_bytes == 0.0);
    CHECK(api_worker.delivery == Delivery::broadcast);
    CHECK(api_worker.queue.max_bytes == 32 * kMiB);
    CHECK(api_worker.queue.max_messages == 5000u);
    CHECK(api_worker.queue.overflow == Overflow::drop_newest);
    CHECK(api_worker.queue.spill_max == 2 * kGiB);
    CHECK_FALSE(api_worker.implicit);

    const RouteSpec& worker_api = config.routes[1];
    CHECK(worker_api.from == "worker");
    CHECK(worker_api.to == "api");
    REQUIRE(worker_api.rate.messages_per_second.has_value());
    CHECK(*worker_api.rate.messages_per_second == 0.5);
    CHECK_FALSE(worker_api.rate.bytes_per_second.has_value());
    CHECK(worker_api.rate.burst_messages == 0.0);
    CHECK(worker_api.rate.burst_bytes == 0.0);
    CHECK(worker_api.delivery == Delivery::round_robin);
    CHECK(worker_api.queue == QueueLimits{});
    CHECK_FALSE(worker_api.implicit);

    const RouteSpec& ledger_reporter = config.routes[2];
    CHECK(ledger_reporter.from == "ledger");
    CHECK(ledger_reporter.to == "reporter");
    CHECK_FALSE(ledger_reporter.rate.messages_per_second.has_value());
    REQUIRE(ledger_reporter.rate.bytes_per_second.has_value());
    CHECK(*ledger_reporter.rate.bytes_per_second == 4096.0);
    CHECK(ledger_reporter.rate.burst_messages == 0.0);
    CHECK(ledger_reporter.rate.burst_bytes == 0.0);
    CHECK(ledger_reporter.delivery == Delivery::round_robin);
    CHECK(ledger_reporter.queue.max_bytes == 64 * kKiB);
    CHECK(ledger_reporter.queue.max_messages == 100'000u);
    CHECK(ledger_reporter.queue.overflow == Overflow::drop_oldest);
    CHECK(ledger_reporter.queue.spill_max == kGiB);
    CHECK_FALSE(ledger_reporter.implicit);

    const RouteSpec& writer_worker = config.routes[3];
    CHECK(writer_worker.from == "writer");
    CHECK(writer_worker.to == "worker");
    CHECK(writer_worker.rate == RateParams{});
    CHECK(writer_worker.delivery == Delivery::round_robin);
    CHECK(writer_worker.queue.max_bytes == 16 * kMiB);
    CHECK(writer_worker.queue.max_messages == 1u);
    CHECK(writer_worker.queue.overflow == Overflow::block);
    CHECK(writer_worker.queue.spill_max == kGiB);
    CHECK_FALSE(writer_worker.implicit);

    const RouteSpec& reporter_audit = config.routes[4];
    CHECK(reporter_audit.from == "reporter");
    CHECK(reporter_audit.to == "audit");
    REQUIRE(reporter_audit.rate.messages_per_second.has_value());
    CHECK(*reporter_audit.rate.messages_per_second == 0.5);
    CHECK_FALSE(reporter_audit.rate.bytes_per_second.has_value());
    CHECK(reporter_audit.rate.burst_messages == 1.0);
    CHECK(reporter_audit.rate.burst_bytes == 0.0);
    CHECK(reporter_audit.delivery == Delivery::round_robin);
    CHECK(reporter_audit.queue.max_bytes == 16 * kMiB);
    CHECK(reporter_audit.queue.max_messages == 100'000u);
    CHECK(reporter_audit.queue.overflow == Overflow::spill);
    CHECK(reporter_audit.queue.spill_max == kMiB);
    CHECK_FALSE(reporter_audit.implicit);

    // Then the routes of each parent, in service file order: parent -> service, service -> parent.
    CHECK(config.routes[5] == route_spec("api", "writer", true));
    CHECK(config.routes[6] == route_spec("writer", "api", true));
    CHECK(config.routes[7] == route_spec("audit", "archive", true));
    CHECK(config.routes[8] == route_spec("archive", "audit", true));
    for (std::size_t i = 5; i < 9; ++i) {
        CAPTURE(i);
        CHECK(config.routes[i].implicit);
        CHECK(config.routes[i].rate == RateParams{});
        CHECK_FALSE(config.routes[i].rate.limited());
        CHECK(config.routes[i].queue == QueueLimits{});
        CHECK(config.routes[i].delivery == Delivery::round_robin);
    }
}

TEST_CASE("without ipc keys every service has a json channel - no parent and no routes") {
    const Config config = load_text_ok(kServices.substr(0, kServices.find("[services.audit]")));
    CHECK(config.supervisor.max_message == 4 * kMiB);
    REQUIRE(config.services.size() == 2);
    for (const ServiceSpec& service : config.services) {
        CHECK(service.ipc == IpcMode::json);
        CHECK(service.parent.empty());
    }
    CHECK(config.routes.empty());

    // The defaults of a route with only its ends.
    const Config one = load_text_ok(route("from = \"api\"\nto = \"writer\"\n"));
    REQUIRE(one.routes.size() == 1);
    const RouteSpec& spec = one.routes[0];
    CHECK(spec == route_spec("api", "writer", false));
    CHECK_FALSE(spec.rate.messages_per_second.has_value());
    CHECK_FALSE(spec.rate.bytes_per_second.has_value());
    CHECK(spec.rate.burst_messages == 0.0);
    CHECK(spec.rate.burst_bytes == 0.0);
    CHECK(spec.delivery == Delivery::round_robin);
    CHECK(spec.queue.max_bytes == 16 * kMiB);
    CHECK(spec.queue.max_messages == 100'000u);
    CHECK(spec.queue.overflow == Overflow::spill);
    CHECK(spec.queue.spill_max == kGiB);
}

TEST_CASE("routes as an inline array - an empty one - and empty queue tables") {
    // Before the first table: after one, the key would belong to it.
    const Config inline_array = load_text_ok("routes = [{ from = \"api\", to = \"writer\", rate = \"10/s\" },\n"
                                             "          { from = \"writer\", to = \"api\", queue = {} }]\n" +
                                             std::string(kServices));
    REQUIRE(inline_array.routes.size() == 2);
    CHECK(inline_array.routes[0].from == "api");
    CHECK(inline_array.routes[0].rate.messages_per_second == 10.0);
    CHECK(inline_array.routes[1].from == "writer");
    CHECK(inline_array.routes[1].queue == QueueLimits{});
    CHECK(load_text_ok("routes = []\n" + std::string(kServices)).routes.empty());
}

TEST_CASE("route values at the edges of their ranges") {
    const auto only = [](std::string_view line) {
        const Config config = load_text_ok(api_to_writer(line));
        REQUIRE(config.routes.size() == 1);
        return config.routes[0];
    };
    CHECK(only("rate = \"0.001/s\"").rate.messages_per_second == 0.001);
    CHECK(only("rate = \"1/m\"").rate.messages_per_second == doctest::Approx(1.0 / 60));
    CHECK(only("rate = \"1000000/s\"").rate.messages_per_second == 1e6);
    CHECK(only("byte_rate = \"1/s\"").rate.bytes_per_second == 1.0);
    CHECK(only("byte_rate = \"1TiB/s\"").rate.bytes_per_second == static_cast<double>(1ull << 40));
    CHECK(only("rate = \"1/s\"\nburst = 100000000").rate.burst_messages == 1e8);
    CHECK(only("queue = { max_bytes = \"64KiB\", max_messages = 100000000 }").queue.max_bytes == 64 * kKiB);
    CHECK(only("queue = { max_bytes = \"64KiB\", max_messages = 100000000 }").queue.max_messages == 100'000'000u);
    CHECK(only("queue = { spill_max = 1048576 }").queue.spill_max == kMiB);
    CHECK(only("queue.overflow = \"spill\"").queue.overflow == Overflow::spill);

    const auto max_message = [](std::string_view value) {
        return load_text_ok("[supervisor]\nmax_message = " + std::string(value) + "\n" + std::string(kServices))
            .supervisor.max_message;
    };
    CHECK(max_message("\"1KiB\"") == kKiB);
    CHECK(max_message("1024") == kKiB);
    CHECK(max_message("\"1GiB\"") == kGiB);
    CHECK(max_message("\"1GB\"") == 1'000'000'000u);
}

TEST_CASE("a parent joins two services with the same channel and a service with ipc off stays apart") {
    const Config config = load_text_ok(std::string(kServices) + R"([services.archive]
command = ["node", "archive.js"]
ipc = "advanced"
parent = "audit"
[services.cron]
command = ["node", "cron.js"]
ipc = "off"
)");
    REQUIRE(config.services.size() == 5);
    CHECK(config.services[3].parent == "audit");
    CHECK(config.services[4].ipc == IpcMode::off);
    REQUIRE(config.routes.size() == 2);
    CHECK(config.routes[0] == route_spec("audit", "archive", true));
    CHECK(config.routes[1] == route_spec("archive", "audit", true));
}

TEST_CASE("unknown keys in a route and its queue - with a suggestion when one is close") {
    CHECK(errors_of(api_to_writer("rat = \"2000/s\"")) ==
          Messages{"t.toml:11:1: unknown key \"rat\" in [routes[0]] (did you mean \"rate\"?)"});
    CHECK(errors_of(api_to_writer("limit = 5")) ==
          Messages{"t.toml:11:1: unknown key \"limit\" in [routes[0]] (expected one of: from, to, rate, byte_rate, "
                   "burst, delivery, queue)"});
    CHECK(errors_of(api_to_writer("queue = { maxbytes = \"1MiB\" }")) ==
          Messages{"t.toml:11:11: unknown key \"maxbytes\" in [routes[0].queue] (did you mean \"max_bytes\"?)"});
    CHECK(errors_of(api_to_writer("queue = { size = \"1MiB\" }")) ==
          Messages{"t.toml:11:11: unknown key \"size\" in [routes[0].queue] (expected one of: max_bytes, "
                   "max_messages, overflow, spill_max, durable)"});
}

TEST_CASE("queue.durable is a boolean, false by default") {
    const Config durable = load_text_ok(api_to_writer("queue = { durable = true }"));
    REQUIRE(durable.routes.size() == 1);
    CHECK(durable.routes[0].queue.durable);
    const Config plain = load_text_ok(api_to_writer("queue = { max_messages = 10 }"));
    CHECK_FALSE(plain.routes[0].queue.durable);
    const auto errors = errors_of(api_to_writer("queue = { durable = \"yes\" }"));
    REQUIRE(errors.size() == 1);
    CHECK(errors[0].find("t.toml:11:") == 0);
    CHECK(errors[0].find("routes[0].queue.durable") != std::string::npos);
}

TEST_CASE("from and to are required and name two different services of the file") {
    CHECK(errors_of(route("to = \"writer\"\n")) ==
          Messages{"t.toml:8:1: missing required key \"from\" in [routes[0]] (expected the name of the sending "
                   "service such as \"api\")"});
    CHECK(errors_of(route("from = \"api\"\n")) ==
          Messages{"t.toml:8:1: missing required key \"to\" in [routes[0]] (expected the name of the receiving "
                   "service such as \"writer\")"});
    CHECK(errors_of(route("from = \"api\"\nto = \"wrtier\"\n")) ==
          Messages{"t.toml:10:6: invalid value for routes[0].to: no service \"wrtier\" (did you mean \"writer\"?)"});
    CHECK(errors_of(route("from = \"Api\"\nto = \"writer\"\n")) ==
          Messages{"t.toml:9:8: invalid value for routes[0].from: no service \"Api\" (did you mean \"api\"?)"});
    CHECK(errors_of(route("from = \"api\"\nto = \"db\"\n")) ==
          Messages{"t.toml:10:6: invalid value for routes[0].to: no service \"db\" (expected one of \"writer\", "
                   "\"audit\")"});
    CHECK(errors_of(route("from = \"api\"\nto = \"api\"\n")) ==
          Messages{"t.toml:10:6: invalid value for routes[0].to: the same service as from (expected a service other "
                   "than \"api\", got \"api\")"});
    CHECK(errors_of(route("from = 1\nto = \"\"\n")) ==
          Messages{"t.toml:9:8: invalid value for routes[0].from (expected the name of the sending service such as "
                   "\"api\", got integer 1)",
                   "t.toml:10:6: invalid value for routes[0].to (expected the name of the receiving service such as "
                   "\"writer\", got \"\")"});
}

TEST_CASE("rate is messages per second or per minute above 0") {
    const auto rate_error = [](std::string_view value) {
        return "t.toml:11:8: invalid rate for routes[0].rate (expected a number above 0 with \"/s\" (per second) or "
               "\"/m\" (per minute), such as \"2000/s\" or \"30/m\", got " + std::string(value) + ")";
    };
    for (const std::string_view value : {"\"fast\"", "\"2000\"", "\"0/s\"", "\"-5/s\"", "\"2000/h\"", "\"1e3/s\""}) {
        CAPTURE(value);
        CHECK(errors_of(api_to_writer("rate = " + std::string(value))) == Messages{rate_error(value)});
    }
    CHECK(errors_of(api_to_writer("rate = 2000")) ==
          Messages{"t.toml:11:8: invalid rate for routes[0].rate (expected a string with a unit such as \"2000/s\" or "
                   "\"30/m\", got integer 2000)"});
}

TEST_CASE("byte_rate is a size per second above 0") {
    const auto byte_rate_error = [](std::string_view value) {
        return "t.toml:11:13: invalid rate for routes[0].byte_rate (expected a whole number above 0 with a unit B, kB, "
               "KB, MB, GB, TB, K, KiB, M, MiB, G, GiB, T or TiB, then \"/s\", such as \"20MiB/s\", got " +
               std::string(value) + ")";
    };
    for (const std::string_view value : {"\"20MiB\"", "\"20MiB/m\"", "\"1.5MiB/s\"", "\"0/s\"", "\"20mib/s\""}) {
        CAPTURE(value);
        CHECK(errors_of(api_to_writer("byte_rate = " + std::string(value))) == Messages{byte_rate_error(value)});
    }
    CHECK(errors_of(api_to_writer("byte_rate = 1048576")) ==
          Messages{"t.toml:11:13: invalid rate for routes[0].byte_rate (expected a string with a unit such as "
                   "\"20MiB/s\", got integer 1048576)"});
}

TEST_CASE("burst is a whole number of messages and needs rate") {
    CHECK(errors_of(api_to_writer("burst = 500")) ==
          Messages{"t.toml:11:9: invalid value for routes[0].burst: a burst is a number of messages, and rate "
                   "(messages per second) is not set (expected rate beside it such as rate = \"2000/s\", got "
                   "integer 500)"});
    // byte_rate is no substitute: the byte burst is one second's worth.
    CHECK(errors_of(api_to_writer("byte_rate = \"1MiB/s\"\nburst = 500")) ==
          Messages{"t.toml:12:9: invalid value for routes[0].burst: a burst is a number of messages, and rate "
                   "(messages per second) is not set (expected rate beside it such as rate = \"2000/s\", got "
                   "integer 500)"});
    // A wrong rate is reported alone.
    CHECK(errors_of(api_to_writer("rate = \"fast\"\nburst = 500")).size() == 1);
    CHECK(errors_of(api_to_writer("rate = \"10/s\"\nburst = 0")) ==
          Messages{"t.toml:12:9: invalid value for routes[0].burst (expected an integer from 1 to 100000000, got "
                   "integer 0)"});
    CHECK(errors_of(api_to_writer("rate = \"10/s\"\nburst = 1.5")) ==
          Messages{"t.toml:12:9: invalid value for routes[0].burst (expected an integer from 1 to 100000000, got "
                   "float 1.5)"});
}

TEST_CASE("delivery and queue overflow are one of their names") {
    CHECK(errors_of(api_to_writer("delivery = \"roundrobin\"")) ==
          Messages{"t.toml:11:12: invalid value for routes[0].delivery (expected one of \"round-robin\", "
                   "\"broadcast\", got \"roundrobin\"; did you mean \"round-robin\"?)"});
    CHECK(errors_of(api_to_writer("delivery = \"all\"")) ==
          Messages{"t.toml:11:12: invalid value for routes[0].delivery (expected one of \"round-robin\", "
                   "\"broadcast\", got \"all\")"});
    CHECK(errors_of(api_to_writer("queue = { overflow = \"drop_oldest\" }")) ==
          Messages{"t.toml:11:22: invalid value for routes[0].queue.overflow (expected one of \"spill\", "
                   "\"drop-oldest\", \"drop-newest\", \"block\", got \"drop_oldest\"; did you mean \"drop-oldest\"?)"});
    CHECK(errors_of(api_to_writer("queue.overflow = \"spil\"")) ==
          Messages{"t.toml:11:18: invalid value for routes[0].queue.overflow (expected one of \"spill\", "
                   "\"drop-oldest\", \"drop-newest\", \"block\", got \"spil\"; did you mean \"spill\"?)"});
    CHECK(errors_of(api_to_writer("queue.overflow = true")) ==
          Messages{"t.toml:11:18: invalid value for routes[0].queue.overflow (expected one of \"spill\", "
                   "\"drop-oldest\", \"drop-newest\", \"block\", got boolean true)"});
}

TEST_CASE("queue sizes and message counts have floors") {
    CHECK(errors_of(api_to_writer("queue = { max_bytes = \"32KiB\" }")) ==
          Messages{"t.toml:11:23: invalid size for routes[0].queue.max_bytes (expected at least 64KiB and at most "
                   "4194304TiB, got \"32KiB\")"});
    CHECK(errors_of(api_to_writer("queue = { spill_max = \"512KiB\" }")) ==
          Messages{"t.toml:11:23: invalid size for routes[0].queue.spill_max (expected at least 1MiB and at most "
                   "4194304TiB, got \"512KiB\")"});
    CHECK(errors_of(api_to_writer("queue = { max_messages = 0 }")) ==
          Messages{"t.toml:11:26: invalid value for routes[0].queue.max_messages (expected an integer from 1 to "
                   "100000000, got integer 0)"});
    CHECK(errors_of(api_to_writer("queue = { max_messages = 100000001 }")) ==
          Messages{"t.toml:11:26: invalid value for routes[0].queue.max_messages (expected an integer from 1 to "
                   "100000000, got integer 100000001)"});
    CHECK(errors_of(api_to_writer("queue = \"16MiB\"")) ==
          Messages{"t.toml:11:9: invalid value for routes[0].queue (expected a table such as { max_bytes = "
                   "\"16MiB\", overflow = \"spill\" }, got \"16MiB\")"});
}

TEST_CASE("routes is an array of tables") {
    CHECK(errors_of(std::string(kServices) + "[routes]\nfrom = \"api\"\nto = \"writer\"\n") ==
          Messages{"t.toml:8:1: invalid value for routes (expected an array of tables such as [[routes]], got table)"});
    CHECK(errors_of("routes = \"api -> writer\"\n" + std::string(kServices)) ==
          Messages{"t.toml:1:10: invalid value for routes (expected an array of tables such as [[routes]], got "
                   "\"api -> writer\")"});
    CHECK(errors_of("routes = [{ from = \"api\", to = \"writer\" }, \"writer\"]\n" + std::string(kServices)) ==
          Messages{"t.toml:1:44: invalid value for routes[1] (expected a table such as { from = \"api\", to = "
                   "\"writer\" }, got \"writer\")"});
}

TEST_CASE("ipc is json - advanced or off") {
    CHECK(errors_of("[services.api]\ncommand = [\"node\", \"api.js\"]\nipc = \"JSON\"\n") ==
          Messages{"t.toml:3:7: invalid value for services.api.ipc (expected one of \"json\", \"advanced\", \"off\", "
                   "got \"JSON\"; did you mean \"json\"?)"});
    CHECK(errors_of("[services.api]\ncommand = [\"node\", \"api.js\"]\nipc = \"v8\"\n") ==
          Messages{"t.toml:3:7: invalid value for services.api.ipc (expected one of \"json\", \"advanced\", \"off\", "
                   "got \"v8\")"});
    CHECK(errors_of("[services.api]\ncommand = [\"node\", \"api.js\"]\nipc = false\n") ==
          Messages{"t.toml:3:7: invalid value for services.api.ipc (expected one of \"json\", \"advanced\", \"off\", "
                   "got boolean false)"});
}

TEST_CASE("parent names another service of the file") {
    const std::string api = "[services.api]\ncommand = [\"node\", \"api.js\"]\n";
    CHECK(errors_of(api + "[services.writer]\ncommand = [\"node\", \"writer.js\"]\nparent = \"apu\"\n") ==
          Messages{"t.toml:5:10: invalid value for services.writer.parent: no service \"apu\" (did you mean "
                   "\"api\"?)"});
    CHECK(errors_of(api + "[services.writer]\ncommand = [\"node\", \"writer.js\"]\nparent = \"gateway\"\n") ==
          Messages{"t.toml:5:10: invalid value for services.writer.parent: no service \"gateway\" (expected one of "
                   "\"api\")"});
    CHECK(errors_of(api + "parent = \"api\"\n") ==
          Messages{"t.toml:3:10: invalid value for services.api.parent: the service itself (expected another service, "
                   "got \"api\")"});
    // The service itself is not suggested.
    CHECK(errors_of(api + "parent = \"apii\"\n") ==
          Messages{"t.toml:3:10: invalid value for services.api.parent: no service \"apii\" (expected another service "
                   "of this file)"});
    CHECK(errors_of(api + "parent = [\"api\"]\n") ==
          Messages{"t.toml:3:10: invalid value for services.api.parent (expected the name of another service such as "
                   "\"api\", got array)"});
}

TEST_CASE("a service with ipc off has no parent and is no parent") {
    CHECK(errors_of(std::string(kServices) + "[services.cron]\ncommand = [\"node\", \"cron.js\"]\nipc = \"off\"\n"
                                             "parent = \"api\"\n") ==
          Messages{"t.toml:10:7: invalid value for services.cron.ipc: a service with a parent needs an ipc channel "
                   "(expected \"json\" or \"advanced\", got \"off\")"});
    CHECK(errors_of(std::string(kServices) + "[services.cron]\ncommand = [\"node\", \"cron.js\"]\nipc = \"off\"\n"
                                             "[services.report]\ncommand = [\"node\", \"report.js\"]\n"
                                             "parent = \"cron\"\n") ==
          Messages{"t.toml:13:10: parent \"cron\" of service \"report\" has no ipc channel (expected ipc = \"json\" or "
                   "\"advanced\" in [services.cron], got \"off\")"});
}

TEST_CASE("both ends of a route or a parent pair use the same ipc serialization") {
    CHECK(errors_of(route("from = \"api\"\nto = \"audit\"\n")) ==
          Messages{"t.toml:9:8: route from \"api\" to \"audit\" joins json and advanced channels (expected both "
                   "services to use the same ipc serialization)"});
    CHECK(errors_of(route("from = \"audit\"\nto = \"writer\"\n")) ==
          Messages{"t.toml:9:8: route from \"audit\" to \"writer\" joins advanced and json channels (expected both "
                   "services to use the same ipc serialization)"});
    CHECK(errors_of(std::string(kServices) + "parent = \"api\"\n") ==
          Messages{"t.toml:8:10: service \"audit\" and its parent \"api\" join advanced and json channels (expected "
                   "both services to use the same ipc serialization)"});
    // With ipc off, at either end.
    const std::string cron = "[services.cron]\ncommand = [\"node\", \"cron.js\"]\nipc = \"off\"\n";
    CHECK(errors_of(std::string(kServices) + cron + "[[routes]]\nfrom = \"cron\"\nto = \"api\"\n") ==
          Messages{"t.toml:12:8: route from \"cron\" to \"api\" joins a service without an ipc channel (expected ipc "
                   "= \"json\" or \"advanced\" in [services.cron], got \"off\")"});
    CHECK(errors_of(std::string(kServices) + cron + "[[routes]]\nfrom = \"audit\"\nto = \"cron\"\n") ==
          Messages{"t.toml:13:6: route from \"audit\" to \"cron\" joins a service without an ipc channel (expected "
                   "ipc = \"json\" or \"advanced\" in [services.cron], got \"off\")"});
    // A wrong ipc value is reported alone.
    CHECK(errors_of(std::string(kServices) + "[services.cron]\ncommand = [\"node\", \"cron.js\"]\nipc = \"of\"\n"
                                             "[[routes]]\nfrom = \"cron\"\nto = \"api\"\n") ==
          Messages{"t.toml:10:7: invalid value for services.cron.ipc (expected one of \"json\", \"advanced\", "
                   "\"off\", got \"of\"; did you mean \"off\"?)"});
}

TEST_CASE("a sender on an advanced channel has one route") {
    const std::string services = "[services.a]\ncommand = [\"node\", \"a.js\"]\nipc = \"advanced\"\n"
                                 "[services.b]\ncommand = [\"node\", \"b.js\"]\nipc = \"advanced\"\nparent = \"a\"\n"
                                 "[services.c]\ncommand = [\"node\", \"c.js\"]\nipc = \"advanced\"\n";
    CHECK(errors_of(services + "[[routes]]\nfrom = \"a\"\nto = \"c\"\n") ==
          Messages{"t.toml:3:7: service \"a\" sends on 2 routes (to \"c\", \"b\") but its ipc is \"advanced\", whose "
                   "messages cannot be addressed with \"$to\" (expected one route from \"a\", or ipc = \"json\")"});
    // One route each way is a fork().
    CHECK(errors_of(services + "[[routes]]\nfrom = \"c\"\nto = \"a\"\n").empty());
}

TEST_CASE("a pair of from and to comes once - parents included") {
    CHECK(errors_of(route("from = \"api\"\nto = \"writer\"\nrate = \"10/s\"\n[[routes]]\nfrom = \"writer\"\n"
                          "to = \"api\"\n[[routes]]\nfrom = \"api\"\nto = \"writer\"\n")) ==
          Messages{"t.toml:16:8: route from \"api\" to \"writer\" is already defined at line 9 (expected each from "
                   "and to pair once)"});
    CHECK(errors_of("[services.api]\ncommand = [\"node\", \"api.js\"]\n[services.writer]\n"
                    "command = [\"node\", \"writer.js\"]\nparent = \"api\"\n"
                    "[[routes]]\nfrom = \"writer\"\nto = \"api\"\nrate = \"10/s\"\n") ==
          Messages{"t.toml:7:8: route from \"writer\" to \"api\" is already made by services.writer.parent (expected "
                   "each from and to pair once; to set its limits, replace parent with [[routes]] both ways)"});
    // The route of a parent wins wherever it is in the file.
    CHECK(errors_of("[[routes]]\nfrom = \"api\"\nto = \"writer\"\n[services.api]\ncommand = [\"node\", \"api.js\"]\n"
                    "[services.writer]\ncommand = [\"node\", \"writer.js\"]\nparent = \"api\"\n") ==
          Messages{"t.toml:2:8: route from \"api\" to \"writer\" is already made by services.writer.parent (expected "
                   "each from and to pair once; to set its limits, replace parent with [[routes]] both ways)"});
    CHECK(errors_of("[services.api]\ncommand = [\"node\", \"api.js\"]\nparent = \"writer\"\n[services.writer]\n"
                    "command = [\"node\", \"writer.js\"]\nparent = \"api\"\n") ==
          Messages{"t.toml:6:10: service \"writer\" and its parent \"api\" are already joined by services.api.parent "
                   "(expected parent on one of the two services)"});
}

TEST_CASE("max_message is a size from 1KiB to 1GiB") {
    CHECK(errors_of("[supervisor]\nmax_message = \"512B\"\n" + std::string(kServices)) ==
          Messages{"t.toml:2:15: invalid size for supervisor.max_message (expected at least 1KiB and at most 1GiB, "
                   "got \"512B\")"});
    CHECK(errors_of("[supervisor]\nmax_message = \"2GiB\"\n" + std::string(kServices)) ==
          Messages{"t.toml:2:15: invalid size for supervisor.max_message (expected at least 1KiB and at most 1GiB, "
                   "got \"2GiB\")"});
    CHECK(errors_of("[supervisor]\nmax_message = 1073741825\n" + std::string(kServices)) ==
          Messages{"t.toml:2:15: invalid size for supervisor.max_message (expected at least 1KiB and at most 1GiB, "
                   "got integer 1073741825)"});
    CHECK(errors_of("[supervisor]\nmax_message = \"4mb\"\n" + std::string(kServices)) ==
          Messages{"t.toml:2:15: invalid size for supervisor.max_message (expected a whole number with a unit B, kB, "
                   "KB, MB, GB, TB, K, KiB, M, MiB, G, GiB, T or TiB, such as \"10MiB\", got \"4mb\")"});
    CHECK(errors_of("[supervisor]\nmax_mesage = \"4MiB\"\n" + std::string(kServices)) ==
          Messages{"t.toml:2:1: unknown key \"max_mesage\" in [supervisor] (did you mean \"max_message\"?)"});
}

TEST_CASE("a route to a service that is already reported is not reported again") {
    // An invalid service name, and a service that is not a table.
    CHECK(errors_of(std::string(kServices) + "[services.\"my app\"]\ncommand = [\"node\", \"app.js\"]\n"
                                             "[[routes]]\nfrom = \"my app\"\nto = \"api\"\n") ==
          Messages{"t.toml:8:11: invalid service name \"my app\" (expected only letters, digits, '_', '.' and '-', "
                   "got ' ')"});
}

TEST_CASE("every route error in a file is reported - in file order") {
    const std::string_view text = R"([supervisor]
max_message = "100B"

[services.api]
command = ["node", "api.js"]
ipc = "advnced"

[services.writer]
command = ["node", "writer.js"]
parent = "wrtier"

[services.audit]
command = ["node", "audit.js"]
ipc = "advanced"
parent = "writer"

[[routes]]
from = "api"
to = "writr"
rate = "fast"
burst = 0
queue = { overflow = "drop", max_bytes = "1KiB" }

[[routes]]
to = "audit"
delivery = "broadcast"
byte_rate = "1MiB"
spill = true

[[routes]]
from = "writer"
to = "audit"
burst = 5
)";
    CHECK(errors_of(text) ==
          Messages{
              "t.toml:2:15: invalid size for supervisor.max_message (expected at least 1KiB and at most 1GiB, got "
              "\"100B\")",
              "t.toml:6:7: invalid value for services.api.ipc (expected one of \"json\", \"advanced\", \"off\", got "
              "\"advnced\"; did you mean \"advanced\"?)",
              "t.toml:10:10: invalid value for services.writer.parent: no service \"wrtier\" (expected one of "
              "\"api\", \"audit\")",
              "t.toml:15:10: service \"audit\" and its parent \"writer\" join advanced and json channels (expected "
              "both services to use the same ipc serialization)",
              "t.toml:19:6: invalid value for routes[0].to: no service \"writr\" (did you mean \"writer\"?)",
              "t.toml:20:8: invalid rate for routes[0].rate (expected a number above 0 with \"/s\" (per second) or "
              "\"/m\" (per minute), such as \"2000/s\" or \"30/m\", got \"fast\")",
              "t.toml:21:9: invalid value for routes[0].burst (expected an integer from 1 to 100000000, got integer "
              "0)",
              "t.toml:22:22: invalid value for routes[0].queue.overflow (expected one of \"spill\", \"drop-oldest\", "
              "\"drop-newest\", \"block\", got \"drop\")",
              "t.toml:22:42: invalid size for routes[0].queue.max_bytes (expected at least 64KiB and at most "
              "4194304TiB, got \"1KiB\")",
              "t.toml:24:1: missing required key \"from\" in [routes[1]] (expected the name of the sending service "
              "such as \"api\")",
              "t.toml:27:13: invalid rate for routes[1].byte_rate (expected a whole number above 0 with a unit B, "
              "kB, KB, MB, GB, TB, K, KiB, M, MiB, G, GiB, T or TiB, then \"/s\", such as \"20MiB/s\", got "
              "\"1MiB\")",
              "t.toml:28:1: unknown key \"spill\" in [routes[1]] (expected one of: from, to, rate, byte_rate, burst, "
              "delivery, queue)",
              "t.toml:31:8: route from \"writer\" to \"audit\" is already made by services.audit.parent (expected "
              "each from and to pair once; to set its limits, replace parent with [[routes]] both ways)",
              "t.toml:33:9: invalid value for routes[2].burst: a burst is a number of messages, and rate (messages "
              "per second) is not set (expected rate beside it such as rate = \"2000/s\", got integer 5)",
          });
}
