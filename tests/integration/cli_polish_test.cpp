// The command line as a new user meets it, against the built binary and real daemons: help, unknown
// commands and options, commands that have nothing to do and say so, `describe`, `status TARGET` and the
// CPU column. The CLI runs from a directory of its own (with --socket where it talks to a daemon).
#include <doctest/doctest.h>
#include <unistd.h>

#include <sstream>
#include <thread>

#include "tests/support/control_socket.hpp"
#include "tests/support/postmortem_bundles.hpp"
#include "tests/support/processes.hpp"
#include "tests/support/records.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_cgroups.hpp"
#include "tests/support/text.hpp"

using namespace corral::test;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// A daemon of `toml` in its own directory; the CLI runs elsewhere with --socket.
struct Daemon {
    TempDir dir;
    TempDir elsewhere;
    std::unique_ptr<CorralProcess> corral;
    fs::path socket;

    explicit Daemon(const std::string& toml) {
        dir.write("corral.toml", toml);
        corral = std::make_unique<CorralProcess>(dir.path(), std::vector<std::string>{"up"});
        socket = dir / ".corral/corral.sock";
        REQUIRE(wait_until([&] { return fs::exists(socket); }, 10s));
    }
    CommandResult cli(std::vector<std::string> args) const {
        args.push_back("--socket");
        args.push_back(socket.string());
        return run_corral(elsewhere.path(), args, 60s);
    }
    json state(const std::string& instance) const {
        SocketClient client(socket);
        return instance_of(client, instance);
    }
};

// The CPU time of `pid` (utime + stime of /proc/PID/stat) over `window`, in percent of one CPU.
double cpu_share(pid_t pid, std::chrono::milliseconds window) {
    const auto ticks = [&] {
        const std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
        std::istringstream fields(stat.substr(stat.rfind(')') + 2));
        std::string field;
        long long total = 0;
        for (int i = 3; i <= 15 && fields >> field; ++i) {
            if (i == 14 || i == 15) total += std::stoll(field);  // utime, stime
        }
        return total;
    };
    const long long before = ticks();
    const auto start = std::chrono::steady_clock::now();
    std::this_thread::sleep_for(window);
    const long long used = ticks() - before;
    const auto elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return 100.0 * static_cast<double>(used) / static_cast<double>(::sysconf(_SC_CLK_TCK)) / elapsed;
}

}  // namespace

TEST_CASE("corral help, corral help COMMAND, and unknown commands and options with a did-you-mean") {
    TempDir dir;
    const auto help = run_corral(dir.path(), {"help"});
    CHECK(help.exit_code == 0);
    for (const char* command : {"up", "run", "status", "describe", "postmortem", "help"}) {
        CHECK_MESSAGE(contains(help.out, std::string("  ") + command), command);
    }
    const auto status_help = run_corral(dir.path(), {"help", "status"});
    CHECK(status_help.exit_code == 0);
    CHECK(contains(status_help.out, "corral status"));
    CHECK(contains(status_help.out, "--json"));
    CHECK(status_help.out == run_corral(dir.path(), {"status", "--help"}).out);

    const auto unknown = run_corral(dir.path(), {"frobnicate"});
    CHECK(unknown.exit_code == 2);
    CHECK(unknown.out == "");
    CHECK(unknown.err == "corral: unknown command \"frobnicate\" (corral help lists every command)\n");
    const auto typo = run_corral(dir.path(), {"stauts"});
    CHECK(typo.exit_code == 2);
    CHECK(typo.err == "corral: unknown command \"stauts\"; did you mean \"status\"? (corral help lists every command)\n");
    const auto help_typo = run_corral(dir.path(), {"help", "frobnicate"});
    CHECK(help_typo.exit_code == 2);
    CHECK(help_typo.err == "corral: unknown command \"frobnicate\" (corral help lists every command)\n");
    const auto option = run_corral(dir.path(), {"status", "--josn"});
    CHECK(option.exit_code == 2);
    CHECK(option.err ==
          "corral status: unknown option \"--josn\"; did you mean \"--json\"? (corral help status lists every option)\n");
    const auto bare = run_corral(dir.path(), {});
    CHECK(bare.exit_code == 2);
    CHECK(contains(bare.err, "describe"));
    CHECK(run_corral(dir.path(), {"--version"}).exit_code == 0);
}

TEST_CASE("start of a running instance, stop of a stopped one, heat of a working one and cool of a cooling one say so") {
    Daemon daemon(subst(R"(
[services.idle]
command = ["node", "${idle}"]
)", {{"idle", fixture("idle.js")}}));
    REQUIRE(wait_until([&] { return daemon.state("idle#0")["state"] == "running"; }, 20s));
    const pid_t pid = daemon.state("idle#0")["pid"].get<pid_t>();

    const auto start = daemon.cli({"start", "idle"});
    CHECK(start.exit_code == 0);
    CHECK(start.out == "idle#0 is already running (pid " + std::to_string(pid) + ")\n");
    const auto start_now = daemon.cli({"start", "idle", "--no-wait"});
    CHECK(start_now.exit_code == 0);
    CHECK(start_now.out == "idle#0 is already running\n");
    const auto start_json = daemon.cli({"start", "idle", "--json"});
    CHECK(json::parse(start_json.out)["already"] == json::array({"idle#0"}));
    CHECK(json::parse(start_json.out)["outcomes"][0]["result"] == "already");

    const auto heat = daemon.cli({"heat", "idle"});
    CHECK(heat.exit_code == 0);
    CHECK(heat.out == "idle#0 is not cooling\n");
    const auto cool = daemon.cli({"cool", "idle"});
    CHECK(cool.exit_code == 0);
    CHECK(cool.out == "idle#0: cooling (manual: corral cool)\n");
    const auto cool_again = daemon.cli({"cool", "idle", "--json"});
    CHECK(json::parse(cool_again.out)["instances"][0]["already"] == true);
    CHECK(daemon.cli({"cool", "idle"}).out == "idle#0 is already cooling\n");
    CHECK(daemon.cli({"heat", "idle"}).out == "idle#0: working (manual: corral heat)\n");

    CHECK(daemon.cli({"stop", "idle"}).exit_code == 0);
    const auto stop = daemon.cli({"stop", "idle"});
    CHECK(stop.exit_code == 0);
    CHECK(stop.out == "idle#0 is already stopped\n");
    const auto stop_now = daemon.cli({"stop", "idle", "--no-wait", "--json"});
    CHECK(stop_now.exit_code == 0);
    CHECK(json::parse(stop_now.out)["already"] == json::array({"idle#0"}));
    CHECK(json::parse(stop_now.out)["instances"] == json::array({"idle#0"}));  // as before
    // restart is never a no-op.
    const auto restart = daemon.cli({"restart", "idle"});
    CHECK(restart.exit_code == 0);
    CHECK_FALSE(contains(restart.out, "already"));
    CHECK(daemon.corral->stop() == 0);
}

TEST_CASE("corral describe: spec with limits and masked secrets, instances, a route, last exits and a post-mortem") {
    TempDir fixtures;
    Daemon daemon(subst(R"(
[services.web]
command = ["node", "${idle}"]
env = { NODE_ENV = "production", API_TOKEN = "abc123secret" }
memory = { max = "256MiB" }
pids = { max = 64 }
stop = { timeout = "3s" }

[services.worker]
command = ["node", "${idle}"]

[services.crash]
command = ["node", "${crasher}"]
env = { RECORD_FILE = "${record}", EXIT_CODE = "3" }
restart = "never"

[[routes]]
from = "web"
to = "worker"
rate = "500/s"
)", {{"idle", fixture("idle.js")}, {"crasher", fixture("crasher.js")}, {"record", fixtures / "record"}}));
    REQUIRE(wait_until([&] { return daemon.state("web#0")["state"] == "running"; }, 20s));
    REQUIRE(wait_until([&] { return !daemon.state("crash#0")["last_exit"]["postmortem"].is_null(); }, 30s));

    const auto described = daemon.cli({"describe", "web", "--json"});
    REQUIRE(described.exit_code == 0);
    const json web = json::parse(described.out);
    CHECK(web["service"]["name"] == "web");
    CHECK(web["service"]["command"][1] == fixture("idle.js").string());
    CHECK(web["service"]["env"]["NODE_ENV"] == "production");
    CHECK(web["service"]["env"]["API_TOKEN"] == "********");
    CHECK_FALSE(contains(described.out, "abc123secret"));
    CHECK(web["service"]["limits"]["memory"]["max"] == 256ull << 20);
    CHECK(web["service"]["limits"]["pids"]["max"] == 64);
    CHECK(web["service"]["stop"] == json{{"signal", "SIGTERM"}, {"timeout_ms", 3000}});
    CHECK(web["file"]["path"] == (daemon.dir / "corral.toml").string());
    CHECK(web["file"]["line"] == 2);
    REQUIRE(web["instances"].size() == 1);
    CHECK(web["instances"][0]["state"] == "running");
    CHECK(web["instances"][0]["logs"]["out"] == (daemon.dir / ".corral/logs/web-0.out.log").string());
    REQUIRE(web["routes"].size() == 1);
    CHECK(web["routes"][0]["to"] == "worker");
    CHECK(web["routes"][0]["rate"]["messages_per_second"] == 500);
    CHECK(web["routes"][0]["queue"]["overflow"] == "spill");

    const auto crash = json::parse(daemon.cli({"describe", "crash#0", "--json"}).out);
    CHECK(crash["instances"][0]["last_exit"]["reason"] == "exit-code");
    CHECK(crash["instances"][0]["last_exit"]["code"] == 3);
    REQUIRE(crash["postmortems"].size() == 1);
    CHECK(crash["postmortems"][0]["id"] == crash["instances"][0]["last_exit"]["postmortem"]);
    CHECK(crash["routes"].empty());

    const auto text = daemon.cli({"describe", "crash"});
    CHECK(text.exit_code == 0);
    CHECK(text.out.rfind("crash, from " + (daemon.dir / "corral.toml").string() + ":12\n", 0) == 0);
    CHECK(contains(text.out, "restart      never, "));
    CHECK(contains(text.out, "exit-code 3, "));
    CHECK(contains(text.out, "  " + crash["postmortems"][0]["id"].get<std::string>() + "  exit-code"));
    const auto web_text = daemon.cli({"describe", "web"});
    CHECK(contains(web_text.out, "API_TOKEN=********"));
    CHECK(contains(web_text.out, "limits       memory.max 256.0MiB, pids.max 64\n"));
    CHECK(contains(web_text.out, "  web -> worker  round-robin, 500 msg/s"));

    const auto missing = daemon.cli({"describe", "wbe"});
    CHECK(missing.exit_code == 1);
    CHECK(missing.err == "corral describe: no service or instance \"wbe\"\n");
    CHECK(daemon.cli({"describe", "all"}).exit_code == 2);
    CHECK(daemon.cli({"describe"}).exit_code == 2);
    CHECK(daemon.corral->stop() == 0);
}

TEST_CASE("corral status TARGET shows that service or instance - and a busy worker's CPU against an idle one's") {
    REQUIRE_CGROUPS();
    Daemon daemon(subst(R"(
[supervisor]
sample_interval = "500ms"

[services.spin]
command = ["node", "${spin}"]
memory = { max = "200MiB" }

[services.idle]
command = ["node", "${idle}"]
memory = { max = "200MiB" }
instances = 2
)", {{"spin", fixture("spin.js")}, {"idle", fixture("idle.js")}}));
    REQUIRE(wait_until([&] { return daemon.state("idle#1")["state"] == "running"; }, 20s));

    const auto idle = daemon.cli({"status", "idle", "--json"});
    REQUIRE(idle.exit_code == 0);
    const json idle_status = json::parse(idle.out);
    REQUIRE(idle_status["instances"].size() == 2);
    CHECK(idle_status["instances"][0]["service"] == "idle");
    CHECK(idle_status["instances"][1]["service"] == "idle");
    const auto one = json::parse(daemon.cli({"status", "idle#1", "--json"}).out);
    REQUIRE(one["instances"].size() == 1);
    CHECK(one["instances"][0]["index"] == 1);
    const auto text = daemon.cli({"status", "spin"});
    CHECK(text.exit_code == 0);
    CHECK(contains(text.out, "CPU"));
    CHECK(contains(text.out, "spin#0"));
    CHECK_FALSE(contains(text.out, "idle#"));
    const auto unknown = daemon.cli({"status", "spni"});
    CHECK(unknown.exit_code == 1);
    CHECK(unknown.err == "corral status: no service or instance \"spni\"\n");
    CHECK(daemon.cli({"status", "spin#x"}).exit_code == 2);

    if (!fs::exists(daemon_cgroup_dir(daemon.dir / ".corral", "", "spin/0") / "cpu.stat")) {
        MESSAGE("skipped the CPU checks: the instances' groups have no cpu.stat here (cgroup v1 without a unified hierarchy)");
        CHECK(daemon.corral->stop() == 0);
        return;
    }
    // The kernel's accounting: a spinning program uses a whole CPU whenever it gets one, an idle one next to
    // nothing. On a machine whose CPUs other work shares, the spinner gets less than a whole one: the bound
    // is half of what the kernel says it got (its utime + stime over 3 s), and 50% on an idle machine.
    const double share = cpu_share(daemon.state("spin#0")["pid"].get<pid_t>(), 3s);
    const double bound = std::min(50.0, share / 2);
    INFO("the kernel gave spin#0 " << share << "% of a CPU over 3s");
    CHECK(share > 5);
    double busiest = 0;
    CHECK(wait_until([&] {
        const auto cpu = daemon.state("spin#0")["cpu_percent"];
        if (cpu.is_number()) busiest = std::max(busiest, cpu.get<double>());
        return busiest > bound;
    }, 30s));
    INFO("busiest sample of spin#0: " << busiest << "%");
    json idle_cpu;
    REQUIRE(wait_until([&] { return (idle_cpu = daemon.state("idle#0")["cpu_percent"]).is_number(); }, 10s));
    CHECK(idle_cpu.get<double>() < 10);
    CHECK(daemon.state("spin#0")["cpu_percent"].is_number());
    CHECK(daemon.corral->stop() == 0);
}
