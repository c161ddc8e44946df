// sd_notify: what a unit of Type=notify hears from the daemon, on a notify socket the test listens on.
#include <doctest/doctest.h>
#include <signal.h>

#include <algorithm>
#include <fstream>

#include "tests/integration/notified_daemon.hpp"
#include "tests/support/control_socket.hpp"
#include "tests/support/processes.hpp"
#include "tests/support/records.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/text.hpp"

using namespace corral::test;

namespace {

// web is running only once it sent "ready", 400 ms after its start.
const char* kServices = R"(
[services.web]
command = ["node", "${ready_later}"]
env = { RECORD_FILE = "${record}", READY_AFTER_MS = "400", VERSION = "${version}" }
ready = "message"
instances = 2

[services.idle]
command = ["node", "${idle}"]
)";

constexpr unsigned long kWatchdogUsec = 400'000;

std::string services(const TempDir& dir, const std::string& version) {
    return subst(kServices, {{"ready_later", fixture("ready_later.js")},
                             {"idle", fixture("idle.js")},
                             {"record", dir / "record"},
                             {"version", version}});
}

auto line(const std::string& wanted) {
    return [wanted](const std::string& message) { return has_line(message, wanted); };
}

std::vector<std::string> environment_of(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/environ", std::ios::binary);
    std::vector<std::string> vars;
    for (std::string var; std::getline(in, var, '\0');) vars.push_back(var);
    return vars;
}

bool sets(const std::vector<std::string>& vars, const std::string& name) {
    return std::any_of(vars.begin(), vars.end(), [&](const std::string& var) { return var.starts_with(name + "="); });
}

std::size_t count_with(const std::vector<std::string>& messages, const std::string& wanted) {
    return static_cast<std::size_t>(
        std::count_if(messages.begin(), messages.end(), [&](const std::string& m) { return has_line(m, wanted); }));
}

}  // namespace

TEST_CASE("the daemon tells its notify socket READY, STATUS, RELOADING around a reload, WATCHDOG and STOPPING") {
    TempDir dir;
    dir.write("corral.toml", services(dir, "1"));
    NotifySocket notify(dir / "notify.sock");
    NotifiedDaemon daemon(dir.path(), {"up"}, notify.path(), kWatchdogUsec);

    // READY=1 only once every instance got to running: web's are running only once they said so.
    const auto ready = notify.next(line("READY=1"), 20s);
    REQUIRE_MESSAGE(ready, "no READY=1; stderr: " << read_file(dir / "corral.stderr"));
    SocketClient client(dir / ".corral" / "corral.sock");
    REQUIRE(client.connected());
    for (const char* name : {"web#0", "web#1", "idle#0"}) {
        CHECK_MESSAGE(instance_of(client, name)["state"] == "running", name);
    }
    CHECK(count_records(dir / "record", "web#0") == 1);
    CHECK(value_of(*ready, "STATUS") == "2 services: 3 running");
    CHECK(count_with(notify.received(), "READY=1") == 1);

    // No worker speaks for the unit: systemd's variables are the daemon's alone.
    const pid_t web = instance_of(client, "web#0")["pid"].get<pid_t>();
    const std::vector<std::string> vars = environment_of(web);
    REQUIRE(sets(vars, "CORRAL_SERVICE"));
    for (const char* name : {"NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"}) CHECK_MESSAGE(!sets(vars, name), name);

    // The watchdog is pinged every half of WATCHDOG_USEC.
    for (int ping = 0; ping < 3; ++ping) REQUIRE(notify.next(line("WATCHDOG=1"), 5s));

    // A reload that rolls web: RELOADING=1 with the monotonic clock, then READY=1 once it is done.
    dir.write("corral.toml", services(dir, "2"));
    const std::size_t before_reload = notify.received().size();
    CHECK_MESSAGE(run_beside(dir.path(), {"reload"}, 30s) == 0, read_file(dir / "reload.stderr"));
    const auto reloaded = notify.next(line("READY=1"), 20s);
    REQUIRE(reloaded);
    const std::vector<std::string> during(notify.received().begin() + static_cast<long>(before_reload),
                                          notify.received().end());
    const auto reloading = std::find_if(during.begin(), during.end(), line("RELOADING=1"));
    REQUIRE(reloading != during.end());
    const std::string usec = value_of(*reloading, "MONOTONIC_USEC").value_or("");
    CHECK(!usec.empty());
    CHECK(usec.find_first_not_of("0123456789") == std::string::npos);
    CHECK(std::find_if(during.begin(), reloading, line("READY=1")) == reloading);  // RELOADING comes first
    CHECK(count_records(dir / "record", "web#0") == 2);
    CHECK(instance_of(client, "web#1")["state"] == "running");
    CHECK(value_of(*reloaded, "STATUS") == "2 services: 3 running");
    // STATUS= lines followed the rollout meanwhile (instances starting and stopping).
    CHECK(std::any_of(during.begin(), during.end(), [](const std::string& m) {
        return value_of(m, "STATUS").value_or("").find("starting") != std::string::npos;
    }));

    client.close();
    daemon.terminate();
    REQUIRE(notify.next(line("STOPPING=1"), 10s));
    CHECK(daemon.exit_code(20s) == 0);
}

TEST_CASE("READY=1 comes also when a start fails, and SIGHUP reloads with RELOADING=1 then READY=1") {
    TempDir dir;
    dir.write("corral.toml", R"toml(
[services.broken]
command = ["node", "-e", "process.exit(3)"]
restart = "never"
ready = "message"
)toml");
    NotifySocket notify(dir / "notify.sock");
    NotifiedDaemon daemon(dir.path(), {"up"}, notify.path(), 0);

    const auto ready = notify.next(line("READY=1"), 20s);
    REQUIRE_MESSAGE(ready, "no READY=1; stderr: " << read_file(dir / "corral.stderr"));
    CHECK(value_of(*ready, "STATUS") == "1 service: 1 exited");
    CHECK(count_with(notify.received(), "WATCHDOG=1") == 0);  // no WatchdogSec: no pings

    ::kill(daemon.pid(), SIGHUP);
    REQUIRE(notify.next(line("RELOADING=1"), 10s));
    REQUIRE(notify.next(line("READY=1"), 10s));
    daemon.terminate();
    CHECK(daemon.exit_code(20s) == 0);
    CHECK(notify.next(line("STOPPING=1"), 5s));
}
