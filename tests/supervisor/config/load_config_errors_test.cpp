// Service files that are rejected, each with the exact messages a user sees. The messages are the
// product: when one changes here, read it aloud before accepting the change.
#include <doctest/doctest.h>

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "supervisor/config/load_config.hpp"
#include "tests/support/config_loading.hpp"
#include "tests/support/temp_dir.hpp"

namespace fs = std::filesystem;
using corral::test::TempDir;

using corral::test::Messages;
using corral::test::errors_of;
using corral::test::service;

TEST_CASE("TOML syntax errors keep toml++'s description and position") {
    CHECK(errors_of(service("instances = 2 3\n")) ==
          Messages{"t.toml:3:15: Error while parsing key-value pair: expected a comment or whitespace, saw '3'"});
    CHECK(errors_of("[services.api]\ncommand = [\"node\", \"server.js\"\n") ==
          Messages{"t.toml:2:32: Error while parsing array: encountered end-of-file"});
    CHECK(errors_of(service("instances = 1\ninstances = 2\n")) ==
          Messages{"t.toml:4:13: Error while parsing key-value pair: cannot redefine existing integer 'instances'"});
}

TEST_CASE("unknown top-level keys") {
    CHECK(errors_of(service("[cooling]\nwork = \"60s\"\n")) ==
          Messages{"t.toml:3:2: unknown key \"cooling\" at the top level (expected one of: supervisor, services, "
                   "routes)"});
    CHECK(errors_of(service("[[route]]\nfrom = \"api\"\n")) ==
          Messages{"t.toml:3:3: unknown key \"route\" at the top level (did you mean \"routes\"?)"});
    CHECK(errors_of("[service.api]\ncommand = [\"node\"]\n") ==
          Messages{"t.toml:1:1: no services defined (expected at least one [services.NAME] table)",
                   "t.toml:1:2: unknown key \"service\" at the top level (did you mean \"services\"?)"});
}

TEST_CASE("unknown service keys - with a suggestion when one is close") {
    CHECK(errors_of(service("restrat = \"always\"\n")) ==
          Messages{"t.toml:3:1: unknown key \"restrat\" in [services.api] (did you mean \"restart\"?)"});
    CHECK(errors_of(service("Instances = 2\n")) ==
          Messages{"t.toml:3:1: unknown key \"Instances\" in [services.api] (did you mean \"instances\"?)"});
    CHECK(errors_of(service("depends_on = [\"web\"]\n")) ==
          Messages{"t.toml:3:1: unknown key \"depends_on\" in [services.api] (expected one of: command, shell, cwd, "
                   "env, instances, restart, backoff, start_limit, stop, logs, memory, pids, cpu, node_diagnostics, node_agent, "
                   "ipc, parent, cooling, throttle, standby, listen, backlog, socket, listen_adopt, ready, ready_timeout, rollout, liveness)"});
    CHECK(errors_of(service("[services.api.colling]\nwork = \"60s\"\n")) ==
          Messages{"t.toml:3:15: unknown key \"colling\" in [services.api] (did you mean \"cooling\"?)"});
}

TEST_CASE("unknown keys inside backoff - start_limit - stop and logs") {
    CHECK(errors_of(service("backoff = { inital = \"1s\" }\n")) ==
          Messages{"t.toml:3:13: unknown key \"inital\" in [services.api.backoff] (did you mean \"initial\"?)"});
    CHECK(errors_of(service("start_limit = { brust = 3 }\n")) ==
          Messages{"t.toml:3:17: unknown key \"brust\" in [services.api.start_limit] (did you mean \"burst\"?)"});
    CHECK(errors_of(service("[services.api.stop]\nsignal = \"TERM\"\ngrace = \"5s\"\n")) ==
          Messages{"t.toml:5:1: unknown key \"grace\" in [services.api.stop] (expected one of: signal, timeout)"});
    CHECK(errors_of(service("logs.max-size = \"1MiB\"\n")) ==
          Messages{"t.toml:3:6: unknown key \"max-size\" in [services.api.logs] (did you mean \"max_size\"?)"});
    CHECK(errors_of("[supervisor]\nstatedir = \".corral\"\n" + service("")) ==
          Messages{"t.toml:2:1: unknown key \"statedir\" in [supervisor] (did you mean \"state_dir\"?)"});
}

TEST_CASE("a value of the wrong type names the key path - what fits and what is there") {
    CHECK(errors_of(service("shell = \"yes\"\n")) ==
          Messages{"t.toml:3:9: invalid value for services.api.shell (expected true or false, got \"yes\")"});
    CHECK(errors_of(service("cwd = 5\n")) ==
          Messages{"t.toml:3:7: invalid value for services.api.cwd (expected a directory path such as \".\" or "
                   "\"/srv/api\", got integer 5)"});
    CHECK(errors_of(service("env = [\"A=1\"]\n")) ==
          Messages{"t.toml:3:7: invalid value for services.api.env (expected a table such as "
                   "{ NODE_ENV = \"production\" }, got array)"});
    CHECK(errors_of(service("instances = \"2\"\n")) ==
          Messages{"t.toml:3:13: invalid value for services.api.instances (expected an integer from 1 to 1024, "
                   "got \"2\")"});
    CHECK(errors_of(service("instances = 2.0\n")) ==
          Messages{"t.toml:3:13: invalid value for services.api.instances (expected an integer from 1 to 1024, "
                   "got float 2.0)"});
    CHECK(errors_of(service("restart = true\n")) ==
          Messages{"t.toml:3:11: invalid value for services.api.restart (expected one of \"always\", "
                   "\"on-failure\", \"never\", got boolean true)"});
    CHECK(errors_of(service("backoff = \"fast\"\n")) ==
          Messages{"t.toml:3:11: invalid value for services.api.backoff (expected a table such as "
                   "{ initial = \"100ms\", factor = 1.5, max = \"15s\", reset_after = \"30s\" }, got \"fast\")"});
    CHECK(errors_of(service("start_limit = 5\n")) ==
          Messages{"t.toml:3:15: invalid value for services.api.start_limit (expected a table such as "
                   "{ burst = 5, interval = \"10s\" }, got integer 5)"});
    CHECK(errors_of(service("stop = \"SIGTERM\"\n")) ==
          Messages{"t.toml:3:8: invalid value for services.api.stop (expected a table such as "
                   "{ signal = \"SIGTERM\", timeout = \"5s\" }, got \"SIGTERM\")"});
    CHECK(errors_of(service("logs = 1979-05-27\n")) ==
          Messages{"t.toml:3:8: invalid value for services.api.logs (expected a table such as "
                   "{ max_size = \"10MiB\", keep = 5 }, got date 1979-05-27)"});
    CHECK(errors_of(service("backoff.factor = \"1.5\"\n")) ==
          Messages{"t.toml:3:18: invalid value for services.api.backoff.factor (expected a number from 1 to 100, "
                   "got \"1.5\")"});
    CHECK(errors_of(service("start_limit.burst = 2.5\n")) ==
          Messages{"t.toml:3:21: invalid value for services.api.start_limit.burst (expected an integer from 1 to "
                   "1000000, got float 2.5)"});
    CHECK(errors_of(service("logs.keep = \"5\"\n")) ==
          Messages{"t.toml:3:13: invalid value for services.api.logs.keep (expected an integer from 0 to 1000, "
                   "got \"5\")"});
    CHECK(errors_of(service("logs.timestamps = 1\n")) ==
          Messages{"t.toml:3:19: invalid value for services.api.logs.timestamps (expected true or false, "
                   "got integer 1)"});
}

TEST_CASE("restart takes one of three words") {
    CHECK(errors_of(service("restart = \"sometimes\"\n")) ==
          Messages{"t.toml:3:11: invalid value for services.api.restart (expected one of \"always\", "
                   "\"on-failure\", \"never\", got \"sometimes\")"});
    CHECK(errors_of(service("restart = \"on_failure\"\n")) ==
          Messages{"t.toml:3:11: invalid value for services.api.restart (expected one of \"always\", "
                   "\"on-failure\", \"never\", got \"on_failure\"; did you mean \"on-failure\"?)"});
}

TEST_CASE("durations are strings with a unit - within range") {
    CHECK(errors_of(service("stop = { timeout = 5 }\n")) ==
          Messages{"t.toml:3:20: invalid duration for services.api.stop.timeout (expected a string with a unit "
                   "such as \"5s\" or \"250ms\", got integer 5)"});
    CHECK(errors_of(service("stop.timeout = \"5\"\n")) ==
          Messages{"t.toml:3:16: invalid duration for services.api.stop.timeout (expected a number with a unit "
                   "ms, s, m or h, such as \"5s\" or \"250ms\", got \"5\")"});
    CHECK(errors_of(service("backoff.max = \"5sec\"\n")) ==
          Messages{"t.toml:3:15: invalid duration for services.api.backoff.max (expected a number with a unit "
                   "ms, s, m or h, such as \"5s\" or \"250ms\", got \"5sec\")"});
    CHECK(errors_of(service("backoff.initial = \"-5s\"\n")) ==
          Messages{"t.toml:3:19: invalid duration for services.api.backoff.initial (expected a number with a unit "
                   "ms, s, m or h, such as \"5s\" or \"250ms\", got \"-5s\")"});
    CHECK(errors_of(service("backoff.reset_after = 1.5\n")) ==
          Messages{"t.toml:3:23: invalid duration for services.api.backoff.reset_after (expected a string with a "
                   "unit such as \"5s\" or \"250ms\", got float 1.5)"});
    CHECK(errors_of(service("stop.timeout = \"0s\"\n")) ==
          Messages{"t.toml:3:16: invalid duration for services.api.stop.timeout (expected at least 1ms and at "
                   "most 1h, got \"0s\")"});
    CHECK(errors_of(service("stop.timeout = \"61m\"\n")) ==
          Messages{"t.toml:3:16: invalid duration for services.api.stop.timeout (expected at least 1ms and at "
                   "most 1h, got \"61m\")"});
    CHECK(errors_of(service("start_limit.interval = \"25h\"\n")) ==
          Messages{"t.toml:3:24: invalid duration for services.api.start_limit.interval (expected at most 24h, "
                   "got \"25h\")"});
    CHECK(errors_of(service("backoff.reset_after = \"0ms\"\n")) ==
          Messages{"t.toml:3:23: invalid duration for services.api.backoff.reset_after (expected at least 1ms "
                   "and at most 24h, got \"0ms\")"});
}

TEST_CASE("backoff factor and the order of initial and max") {
    CHECK(errors_of(service("backoff.factor = 0.5\n")) ==
          Messages{"t.toml:3:18: invalid value for services.api.backoff.factor (expected a number from 1 to 100, "
                   "got float 0.5)"});
    CHECK(errors_of(service("backoff.factor = 101\n")) ==
          Messages{"t.toml:3:18: invalid value for services.api.backoff.factor (expected a number from 1 to 100, "
                   "got integer 101)"});
    CHECK(errors_of(service("backoff = { initial = \"2s\", max = \"1500ms\" }\n")) ==
          Messages{"t.toml:3:35: invalid duration for services.api.backoff.max (expected at least the initial "
                   "delay of 2s, got \"1500ms\")"});
    CHECK(errors_of(service("backoff = { initial = \"20s\" }\n")) ==
          Messages{"t.toml:3:23: invalid duration for services.api.backoff.initial (expected at most the default "
                   "max delay of 15s, or a larger backoff.max, got \"20s\")"});
}

TEST_CASE("sizes are bytes or strings with a unit - at least 4096") {
    CHECK(errors_of(service("logs.max_size = \"10mb\"\n")) ==
          Messages{"t.toml:3:17: invalid size for services.api.logs.max_size (expected a whole number with a unit "
                   "B, kB, KB, MB, GB, TB, K, KiB, M, MiB, G, GiB, T or TiB, such as \"10MiB\", got \"10mb\")"});
    CHECK(errors_of(service("logs.max_size = \"1.5MiB\"\n")) ==
          Messages{"t.toml:3:17: invalid size for services.api.logs.max_size (expected a whole number with a unit "
                   "B, kB, KB, MB, GB, TB, K, KiB, M, MiB, G, GiB, T or TiB, such as \"10MiB\", got \"1.5MiB\")"});
    CHECK(errors_of(service("logs.max_size = 100\n")) ==
          Messages{"t.toml:3:17: invalid size for services.api.logs.max_size (expected at least 4096 bytes, "
                   "got integer 100)"});
    CHECK(errors_of(service("logs.max_size = \"4KB\"\n")) ==
          Messages{"t.toml:3:17: invalid size for services.api.logs.max_size (expected at least 4096 bytes, "
                   "got \"4KB\")"});
    CHECK(errors_of(service("logs.max_size = -1\n")) ==
          Messages{"t.toml:3:17: invalid size for services.api.logs.max_size (expected at least 4096 bytes, "
                   "got integer -1)"});
    CHECK(errors_of(service("logs.max_size = 1e6\n")) ==
          Messages{"t.toml:3:17: invalid size for services.api.logs.max_size (expected a number of bytes or a "
                   "string such as \"10MiB\", got float 1000000.0)"});
}

TEST_CASE("instances from 1 to 1024") {
    CHECK(errors_of(service("instances = 0\n")) ==
          Messages{"t.toml:3:13: invalid value for services.api.instances (expected an integer from 1 to 1024, "
                   "got integer 0)"});
    CHECK(errors_of(service("instances = 5000\n")) ==
          Messages{"t.toml:3:13: invalid value for services.api.instances (expected an integer from 1 to 1024, "
                   "got integer 5000)"});
    CHECK(errors_of(service("logs.keep = 1001\n")) ==
          Messages{"t.toml:3:13: invalid value for services.api.logs.keep (expected an integer from 0 to 1000, "
                   "got integer 1001)"});
}

TEST_CASE("stop signals") {
    CHECK(errors_of(service("stop.signal = \"SIGFOO\"\n")) ==
          Messages{"t.toml:3:15: invalid signal for services.api.stop.signal (expected a signal name or number "
                   "such as \"SIGTERM\", \"TERM\" or 15, got \"SIGFOO\")"});
    CHECK(errors_of(service("stop.signal = \"sigterm\"\n")) ==
          Messages{"t.toml:3:15: invalid signal for services.api.stop.signal (expected a signal name or number "
                   "such as \"SIGTERM\", \"TERM\" or 15, got \"sigterm\"; did you mean \"SIGTERM\"?)"});
    CHECK(errors_of(service("stop.signal = 0\n")) ==
          Messages{"t.toml:3:15: invalid signal for services.api.stop.signal (expected a signal name or number "
                   "such as \"SIGTERM\", \"TERM\" or 15, got integer 0)"});
    CHECK(errors_of(service("stop.signal = \"SIGSTOP\"\n")) ==
          Messages{"t.toml:3:15: invalid signal for services.api.stop.signal: SIGSTOP only pauses a process "
                   "(expected a signal that ends it, such as \"SIGTERM\", \"SIGINT\" or \"SIGKILL\", got \"SIGSTOP\")"});
    CHECK(errors_of(service("stop.signal = 19\n")) ==
          Messages{"t.toml:3:15: invalid signal for services.api.stop.signal: SIGSTOP only pauses a process "
                   "(expected a signal that ends it, such as \"SIGTERM\", \"SIGINT\" or \"SIGKILL\", got integer 19)"});
}

TEST_CASE("command: an argv array - or one string with shell = true") {
    CHECK(errors_of("[services.api]\ncommand = []\n") ==
          Messages{"t.toml:2:11: invalid value for services.api.command (expected a non-empty array of strings "
                   "such as [\"node\", \"server.js\"], got empty array)"});
    CHECK(errors_of("[services.api]\ncommand = [\"node\", 5, \"\"]\n") ==
          Messages{"t.toml:2:20: invalid value for services.api.command[1] (expected a non-empty string, "
                   "got integer 5)",
                   "t.toml:2:23: invalid value for services.api.command[2] (expected a non-empty string, got \"\")"});
    CHECK(errors_of("[services.api]\ncommand = \"node server.js\"\n") ==
          Messages{"t.toml:2:11: invalid value for services.api.command: a single string is a shell command line "
                   "and needs shell = true (expected an array of strings such as [\"node\", \"server.js\"], "
                   "got \"node server.js\")"});
    CHECK(errors_of("[services.api]\nshell = true\ncommand = [\"node\", \"server.js\"]\n") ==
          Messages{"t.toml:3:11: invalid value for services.api.command: with shell = true the command is one "
                   "string for /bin/sh -c (expected a command line string such as \"node server.js\", got array)"});
    CHECK(errors_of("[services.api]\nshell = true\ncommand = \"\"\n") ==
          Messages{"t.toml:3:11: invalid value for services.api.command (expected a non-empty command line such "
                   "as \"node server.js\", got \"\")"});
    CHECK(errors_of("[services.api]\ncommand = { program = \"node\" }\n") ==
          Messages{"t.toml:2:11: invalid value for services.api.command (expected an array of strings such as "
                   "[\"node\", \"server.js\"], got table)"});
}

TEST_CASE("a missing command points at the service's table") {
    CHECK(errors_of("[services.api]\ninstances = 2\n") ==
          Messages{"t.toml:1:1: missing required key \"command\" in [services.api] (expected an array of strings "
                   "such as [\"node\", \"server.js\"])"});
    CHECK(errors_of(service("\n  [services.web]\n  shell = true\n")) ==
          Messages{"t.toml:4:3: missing required key \"command\" in [services.web] (expected a command line string "
                   "such as \"node server.js\")"});
}

TEST_CASE("service names are safe in file names and on the command line") {
    CHECK(errors_of("[services.\"a/b\"]\ncommand = [\"node\"]\n") ==
          Messages{"t.toml:1:11: invalid service name \"a/b\" (expected only letters, digits, '_', '.' and '-', "
                   "got '/')"});
    CHECK(errors_of("[services.\".hidden\"]\ncommand = [\"node\"]\n") ==
          Messages{"t.toml:1:11: invalid service name \".hidden\" (expected a letter, digit, '_' or '-' first, "
                   "got '.')"});
    const std::string long_name(65, 'a');
    CHECK(errors_of("[services." + long_name + "]\ncommand = [\"node\"]\n") ==
          Messages{"t.toml:1:11: invalid service name \"" + long_name +
                   "\" (expected at most 64 characters, got 65)"});
    CHECK(errors_of("[services.\"\"]\ncommand = [\"node\"]\n") ==
          Messages{"t.toml:1:11: invalid service name \"\" (expected 1 to 64 characters, got none)"});
    CHECK(errors_of("[services.\"caf\u00e9\"]\ncommand = [\"node\"]\n") ==
          Messages{"t.toml:1:11: invalid service name \"caf\u00e9\" (expected only letters, digits, '_', '.' and "
                   "'-', got '\u00e9')"});
    CHECK(errors_of("[services.\"my api\"]\ncommand = [\"node\"]\n") ==
          Messages{"t.toml:1:11: invalid service name \"my api\" (expected only letters, digits, '_', '.' and "
                   "'-', got ' ')"});
}

TEST_CASE("cwd must be an existing directory") {
    TempDir dir;
    const fs::path missing = dir.path() / "nope";
    CHECK(errors_of(service("cwd = \"" + missing.string() + "\"\n")) ==
          Messages{"t.toml:3:7: invalid directory for services.api.cwd: " + missing.string() +
                   " does not exist (expected an existing directory, got \"" + missing.string() + "\")"});
    const fs::path file = dir.write("file.txt", "not a directory\n");
    CHECK(errors_of(service("cwd = \"" + file.string() + "\"\n")) ==
          Messages{"t.toml:3:7: invalid directory for services.api.cwd: " + file.string() +
                   " is not a directory (expected an existing directory, got \"" + file.string() + "\")"});
    CHECK(errors_of(service("cwd = \"\"\n")) ==
          Messages{"t.toml:3:7: invalid value for services.api.cwd (expected a directory path such as \".\" or "
                   "\"/srv/api\", got \"\")"});
}

TEST_CASE("env holds names and text") {
    CHECK(errors_of(service("env = { PATHS = [\"/a\", \"/b\"] }\n")) ==
          Messages{"t.toml:3:17: invalid value for services.api.env.PATHS (expected a string, integer or boolean, "
                   "got array)"});
    CHECK(errors_of(service("env = { RATIO = 0.5 }\n")) ==
          Messages{"t.toml:3:17: invalid value for services.api.env.RATIO (expected a string, integer or boolean, "
                   "got float 0.5)"});
    CHECK(errors_of(service("env = { 1PORT = 3000, \"NODE-ENV\" = \"x\" }\n")) ==
          Messages{"t.toml:3:9: invalid environment variable name in [services.api.env] (expected letters, "
                   "digits and '_', not starting with a digit, got \"1PORT\")",
                   "t.toml:3:23: invalid environment variable name in [services.api.env] (expected letters, "
                   "digits and '_', not starting with a digit, got \"NODE-ENV\")"});
}

TEST_CASE("the services table") {
    CHECK(errors_of("services = 3\n") ==
          Messages{"t.toml:1:12: invalid value for services (expected a table of services such as [services.api], "
                   "got integer 3)"});
    CHECK(errors_of("[services]\napi = \"node server.js\"\n") ==
          Messages{"t.toml:2:7: invalid value for services.api (expected a table such as [services.api], "
                   "got \"node server.js\")"});
    CHECK(errors_of("[[services.api]]\ncommand = [\"node\"]\n") ==
          Messages{"t.toml:1:1: invalid value for services.api (expected a table such as [services.api], "
                   "got array)"});
    CHECK(errors_of("") ==
          Messages{"t.toml:1:1: no services defined (expected at least one [services.NAME] table)"});
    CHECK(errors_of("# nothing yet\n\n[supervisor]\n\n[services]\n") ==
          Messages{"t.toml:5:1: no services defined (expected at least one [services.NAME] table)"});
}

TEST_CASE("the supervisor table") {
    CHECK(errors_of("[supervisor]\nstate_dir = 5\n" + service("")) ==
          Messages{"t.toml:2:13: invalid value for supervisor.state_dir (expected a directory path such as "
                   "\".corral\", got integer 5)"});
    CHECK(errors_of("[supervisor]\nstate_dir = \"\"\n" + service("")) ==
          Messages{"t.toml:2:13: invalid value for supervisor.state_dir (expected a directory path such as "
                   "\".corral\", got \"\")"});
    CHECK(errors_of("supervisor = \".corral\"\n" + service("")) ==
          Messages{"t.toml:1:14: invalid value for supervisor (expected a table such as [supervisor], "
                   "got \".corral\")"});
}

TEST_CASE("every error in a file is reported - in file order") {
    const std::string_view text = R"([supervisor]
state_dir = false

[services.web]
command = ["node", "web.js"]
restrat = "always"
instances = 0
stop = { signal = "SIGSTOP", timeout = 5 }

[services.api]
command = "node api.js"
backoff = { factor = 0.5, max = "1s", initial = "2s" }
logs = { max_size = "10mb", keep = 3, rotate = true }

[routes]
)";
    CHECK(errors_of(text) ==
          Messages{
              "t.toml:2:13: invalid value for supervisor.state_dir (expected a directory path such as \".corral\", "
              "got boolean false)",
              "t.toml:6:1: unknown key \"restrat\" in [services.web] (did you mean \"restart\"?)",
              "t.toml:7:13: invalid value for services.web.instances (expected an integer from 1 to 1024, "
              "got integer 0)",
              "t.toml:8:19: invalid signal for services.web.stop.signal: SIGSTOP only pauses a process (expected a "
              "signal that ends it, such as \"SIGTERM\", \"SIGINT\" or \"SIGKILL\", got \"SIGSTOP\")",
              "t.toml:8:40: invalid duration for services.web.stop.timeout (expected a string with a unit such as "
              "\"5s\" or \"250ms\", got integer 5)",
              "t.toml:11:11: invalid value for services.api.command: a single string is a shell command line and "
              "needs shell = true (expected an array of strings such as [\"node\", \"server.js\"], "
              "got \"node api.js\")",
              "t.toml:12:22: invalid value for services.api.backoff.factor (expected a number from 1 to 100, "
              "got float 0.5)",
              "t.toml:12:33: invalid duration for services.api.backoff.max (expected at least the initial delay of "
              "2s, got \"1s\")",
              "t.toml:13:21: invalid size for services.api.logs.max_size (expected a whole number with a unit B, "
              "kB, KB, MB, GB, TB, K, KiB, M, MiB, G, GiB, T or TiB, such as \"10MiB\", got \"10mb\")",
              "t.toml:13:39: unknown key \"rotate\" in [services.api.logs] (expected one of: max_size, keep, "
              "timestamps, format)",
              "t.toml:15:1: invalid value for routes (expected an array of tables such as [[routes]], got table)",
          });
}
