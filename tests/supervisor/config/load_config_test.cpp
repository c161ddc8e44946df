// Service files that load: every field read, defaults filled in, paths resolved against the file's
// directory. The rejected files are in load_config_errors_test.cpp.
#include <doctest/doctest.h>

#include <csignal>
#include <filesystem>
#include <string>
#include <vector>

#include "supervisor/config/load_config.hpp"
#include "tests/support/doctest_strings.hpp"
#include "tests/support/temp_dir.hpp"

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using corral::config::Config;
using corral::config::load_config_file;
using corral::config::load_config_text;
using corral::config::ServiceSpec;
using corral::policies::RestartMode;
using corral::test::TempDir;

namespace {

std::vector<std::string> messages(const corral::config::ConfigErrors& errors) {
    std::vector<std::string> lines;
    for (const auto& error : errors) lines.push_back(error.to_string());
    return lines;
}

Config load_ok(const fs::path& file) {
    auto result = load_config_file(file);
    CHECK(messages(result.errors) == std::vector<std::string>{});
    REQUIRE(result.config.has_value());
    return std::move(*result.config);
}

constexpr std::string_view kFullFile = R"(# every key corral knows
[supervisor]
state_dir = "run/state/"

[services.api]
command = ["node", "server.js", "--port", "3000"]
shell = false
cwd = "app"
env = { NODE_ENV = "production", PORT = 3000, DEBUG = false, EMPTY = "" }
instances = 2
restart = "on-failure"
backoff = { initial = "250ms", factor = 2, max = "1m", reset_after = "1.5m" }
start_limit = { burst = 10, interval = "0s" }
stop = { signal = "INT", timeout = "1.5s" }
logs = { max_size = "1MiB", keep = 0, timestamps = true }

[services.worker]
command = "node worker.js | tee -a worker.out"
shell = true
cwd = "app/../app/"
restart = "never"

[services.worker.backoff]
factor = 1
max = "0s"
initial = "0ms"

[services.worker.stop]
signal = "SIGKILL"
timeout = "1h"

[services."api.v2"]
command = ["node", "v2.js"]
stop.signal = 9
logs.max_size = 8192
)";

}  // namespace

TEST_CASE("a service file with every key loads into specs") {
    TempDir dir;
    dir.make_dir("app");
    const fs::path file = dir.write("corral.toml", kFullFile);
    const Config config = load_ok(file);

    CHECK(config.file == dir.path() / "corral.toml");
    CHECK(config.supervisor.state_dir == dir.path() / "run" / "state");
    REQUIRE(config.services.size() == 3);

    const ServiceSpec& api = config.services[0];
    CHECK(api.name == "api");
    CHECK(api.command == std::vector<std::string>{"node", "server.js", "--port", "3000"});
    CHECK_FALSE(api.shell);
    CHECK(api.cwd == dir.path() / "app");
    CHECK(api.env == std::map<std::string, std::string>{
                         {"NODE_ENV", "production"}, {"PORT", "3000"}, {"DEBUG", "false"}, {"EMPTY", ""}});
    CHECK(api.instances == 2);
    CHECK(api.restart == RestartMode::on_failure);
    CHECK(api.backoff.initial == 250ms);
    CHECK(api.backoff.factor == 2.0);
    CHECK(api.backoff.max == 60s);
    CHECK(api.backoff.reset_after == 90s);
    CHECK(api.start_limit.burst == 10);
    CHECK(api.start_limit.interval == 0ms);
    CHECK(api.stop.signal == SIGINT);
    CHECK(api.stop.timeout == 1500ms);
    CHECK(api.logs.max_size == 1u << 20);
    CHECK(api.logs.keep == 0);
    CHECK(api.logs.timestamps);

    const ServiceSpec& worker = config.services[1];
    CHECK(worker.name == "worker");
    CHECK(worker.command == std::vector<std::string>{"/bin/sh", "-c", "node worker.js | tee -a worker.out"});
    CHECK(worker.shell);
    CHECK(worker.cwd == dir.path() / "app");
    CHECK(worker.restart == RestartMode::never);
    CHECK(worker.backoff == corral::policies::BackoffParams{0ms, 1.0, 0ms, 30s});
    CHECK(worker.stop == corral::config::StopSpec{SIGKILL, 1h});

    ServiceSpec v2;
    v2.name = "api.v2";
    v2.command = {"node", "v2.js"};
    v2.cwd = dir.path();
    v2.stop.signal = SIGKILL;
    v2.logs.max_size = 8192;
    CHECK(config.services[2] == v2);
}

TEST_CASE("omitted keys take their defaults") {
    TempDir dir;
    const Config config = load_ok(dir.write("corral.toml", "[services.api]\ncommand = [\"node\", \"server.js\"]\n"));
    CHECK(config.supervisor.state_dir == dir.path() / ".corral");
    REQUIRE(config.services.size() == 1);
    const ServiceSpec& api = config.services[0];
    CHECK(api.name == "api");
    CHECK(api.command == std::vector<std::string>{"node", "server.js"});
    CHECK_FALSE(api.shell);
    CHECK(api.cwd == dir.path());
    CHECK(api.env.empty());
    CHECK(api.instances == 1);
    CHECK(api.restart == RestartMode::always);
    CHECK(api.backoff.initial == 100ms);
    CHECK(api.backoff.factor == 1.5);
    CHECK(api.backoff.max == 15s);
    CHECK(api.backoff.reset_after == 30s);
    CHECK(api.start_limit.burst == 5);
    CHECK(api.start_limit.interval == 10s);
    CHECK(api.stop.signal == SIGTERM);
    CHECK(api.stop.timeout == 5s);
    CHECK(api.logs.max_size == 10u << 20);
    CHECK(api.logs.keep == 5);
    CHECK_FALSE(api.logs.timestamps);
}

TEST_CASE("services keep the order of the file - not the order of their names") {
    TempDir dir;
    const Config config = load_ok(dir.write("corral.toml", R"(
[services.zeta]
command = ["z"]
[services.alpha]
command = ["a"]
[services.mid.stop]
signal = "HUP"
[services.mid]
command = ["m"]
)"));
    REQUIRE(config.services.size() == 3);
    CHECK(config.services[0].name == "zeta");
    CHECK(config.services[1].name == "alpha");
    CHECK(config.services[2].name == "mid");
    CHECK(config.services[2].stop.signal == SIGHUP);
}

TEST_CASE("inline tables - header tables and dotted keys mean the same") {
    TempDir dir;
    const Config config = load_ok(dir.write("corral.toml", R"(
services.a = { command = ["a"], backoff = { initial = "1s", max = "2s" } }

[services.b]
command = ["b"]
backoff.initial = "1s"
backoff.max = "2s"

[services.c]
command = ["c"]
[services.c.backoff]
initial = "1s"
max = "2s"
)"));
    REQUIRE(config.services.size() == 3);
    for (const auto& service : config.services) {
        CAPTURE(service.name);
        CHECK(service.backoff == corral::policies::BackoffParams{1s, 1.5, 2s, 30s});
    }
}

TEST_CASE("stop signals by full name - short name or number") {
    TempDir dir;
    const Config config = load_ok(dir.write("corral.toml", R"(
[services.a]
command = ["a"]
stop.signal = "SIGUSR2"
[services.b]
command = ["b"]
stop.signal = "QUIT"
[services.c]
command = ["c"]
stop.signal = "1"
[services.d]
command = ["d"]
stop.signal = 2
)"));
    REQUIRE(config.services.size() == 4);
    CHECK(config.services[0].stop.signal == SIGUSR2);
    CHECK(config.services[1].stop.signal == SIGQUIT);
    CHECK(config.services[2].stop.signal == SIGHUP);
    CHECK(config.services[3].stop.signal == SIGINT);
}

TEST_CASE("absolute paths are kept - relative ones anchor at the file's directory") {
    TempDir dir;
    const fs::path elsewhere = dir.make_dir("elsewhere");
    dir.make_dir("conf/app");
    const std::string text = "[supervisor]\nstate_dir = \"" + (dir.path() / "state").string() +
                             "\"\n[services.a]\ncommand = [\"a\"]\ncwd = \"" + elsewhere.string() +
                             "/.\"\n[services.b]\ncommand = [\"b\"]\ncwd = \"./app//\"\n";
    const Config config = load_ok(dir.write("conf/corral.toml", text));
    CHECK(config.supervisor.state_dir == dir.path() / "state");
    CHECK(config.services[0].cwd == elsewhere);
    CHECK(config.services[1].cwd == dir.path() / "conf" / "app");
}

TEST_CASE("a relative file name is made absolute for Config but kept as given in messages") {
    auto result = load_config_text("[services.a]\ncommand = [\"a\"]\n", "sub/../corral.toml");
    REQUIRE(result.config.has_value());
    CHECK(result.config->file == fs::current_path() / "corral.toml");
    CHECK(result.config->services[0].cwd == fs::current_path());
    CHECK(result.config->supervisor.state_dir == fs::current_path() / ".corral");

    auto failed = load_config_text("[services.a]\n", "sub/../corral.toml");
    CHECK(messages(failed.errors) ==
          std::vector<std::string>{"sub/../corral.toml:1:1: missing required key \"command\" in [services.a] "
                                   "(expected an array of strings such as [\"node\", \"server.js\"])"});
}

TEST_CASE("a file that cannot be read is one error without a position") {
    TempDir dir;
    const fs::path missing = dir.path() / "corral.toml";
    auto result = load_config_file(missing);
    CHECK_FALSE(result.config.has_value());
    CHECK(messages(result.errors) ==
          std::vector<std::string>{missing.string() + ": cannot read the service file: No such file or directory"});

    auto directory = load_config_file(dir.path());
    CHECK(messages(directory.errors) ==
          std::vector<std::string>{dir.path().string() + ": cannot read the service file: Is a directory"});

    auto relative = load_config_file("no-such-dir-for-corral/corral.toml");
    REQUIRE(relative.errors.size() == 1);
    CHECK(relative.errors[0].line == 0);
    CHECK(relative.errors[0].to_string() ==
          "no-such-dir-for-corral/corral.toml: cannot read the service file: No such file or directory");
}

TEST_CASE("specs compare equal when the file did not change them") {
    TempDir dir;
    dir.make_dir("app");
    const fs::path file = dir.write("corral.toml", kFullFile);
    const Config first = load_ok(file);
    const Config second = load_ok(file);
    CHECK(first.services == second.services);
    CHECK(first.supervisor == second.supervisor);
}
