#include <doctest/doctest.h>

#include "supervisor/cli/pm2_import/pm2_values.hpp"
#include "supervisor/cli/pm2_import/service_names.hpp"
#include "tests/support/doctest_strings.hpp"

using namespace corral::pm2;
using Strings = std::vector<std::string>;
using nlohmann::json;

TEST_CASE("args strings are split as pm2 splits them") {
    CHECK(split_args("start") == Strings{"start"});
    CHECK(split_args("  -a 13   -b 12 ") == Strings{"-a", "13", "-b", "12"});
    CHECK(split_args("--queue 'high priority' \"two words\" -v") == Strings{"--queue", "high priority", "two words", "-v"});
    // key="a b" stays one argument, its quotes kept (pm2's expression does the same).
    CHECK(split_args("--name=\"my app\" --x='1 2'") == Strings{"--name=\"my app\"", "--x='1 2'"});
    CHECK(split_args("\"\" ''").empty());
    CHECK(split_args("").empty());
}

TEST_CASE("argument lists: a string is split, an array is taken as it is, numbers become text") {
    CHECK(*argument_list(json("--port 3000")) == Strings{"--port", "3000"});
    CHECK(*argument_list(json::array({"--color", 3, "a b"})) == Strings{"--color", "3", "a b"});
    CHECK(!argument_list(json::object()));
    CHECK(!argument_list(json::array({json::object()})));
}

TEST_CASE("pm2 durations and sizes: plain numbers, numeric strings and unit suffixes") {
    using std::chrono::milliseconds;
    CHECK(*time_value(json(1500)) == milliseconds(1500));
    CHECK(*time_value(json("2500")) == milliseconds(2500));
    CHECK(*time_value(json("5s")) == milliseconds(5000));
    CHECK(*time_value(json("2m")) == milliseconds(120000));
    CHECK(*time_value(json("1h")) == milliseconds(3600000));
    CHECK(!time_value(json("5 seconds")));
    CHECK(!time_value(json(-1)));
    CHECK(*size_value(json("300M")) == 300ull << 20);
    CHECK(*size_value(json("1G")) == 1ull << 30);
    CHECK(*size_value(json("512K")) == 512ull << 10);
    CHECK(*size_value(json(104857600)) == 104857600ull);
    CHECK(!size_value(json("300MB")));
    CHECK(*integer_value(json("4")) == 4);
    CHECK(!integer_value(json("max")));
}

TEST_CASE("env values become the strings pm2 would pass") {
    CHECK(env_text(json("x")) == "x");
    CHECK(env_text(json(1.5)) == "1.5");
    CHECK(env_text(json::object({{"a", 1}})) == "{\"a\":1}");
    CHECK(env_text(json(nullptr)) == "null");
}

TEST_CASE("pm2 names become valid corral names, and a name taken twice gets a suffix") {
    CHECK(sanitized_name("api") == "api");
    CHECK(sanitized_name("my api") == "my-api");
    CHECK(sanitized_name("Custom Metrics / v2") == "Custom-Metrics-v2");
    CHECK(sanitized_name(".hidden") == "hidden");
    CHECK(sanitized_name("caf\xc3\xa9 bar") == "caf-bar");
    CHECK(sanitized_name("///") == "app");
    CHECK(sanitized_name(std::string(100, 'a')).size() == 64);
    CHECK(default_name("./service-worker/") == "service-worker");
    CHECK(default_name("index.js") == "index");
    CHECK(default_name("/usr/bin/npm") == "npm");
    NameBook names;
    CHECK(names.claim("api") == "api");
    CHECK(names.claim("api") == "api-2");
    CHECK(names.claim("api") == "api-3");
    CHECK(names.claim(std::string(64, 'b')) == std::string(64, 'b'));
    CHECK(names.claim(std::string(64, 'b')) == std::string(62, 'b') + "-2");
}
