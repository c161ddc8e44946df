// Faults: a daemon under a descriptor limit far too low for its services (64, for 20 services: each
// costs it several descriptors). What it cannot start is reported as "Too many open files"; the control
// socket still answers; SIGTERM still stops every service that runs, and the daemon exits 0.
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/control_socket.hpp"
#include "tests/support/processes.hpp"
#include "tests/support/records.hpp"
#include "tests/support/sanitizers.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/text.hpp"

using namespace corral::test;

namespace {

std::string twenty_idle_services(const TempDir& dir) {
    std::string text;
    for (int i = 0; i < 20; ++i) {
        text += subst("[services.idle${i}]\ncommand = [\"node\", \"${idle}\"]\nenv = { RECORD_FILE = \"${out}\" }\n"
                      "backoff = { initial = \"500ms\" }\n\n",
                      {{"i", std::to_string(i)}, {"idle", fixture("idle.js")}, {"out", (dir / "started").string()}});
    }
    return text;
}

std::vector<pid_t> worker_pids(const TempDir& dir) {
    std::vector<pid_t> pids;
    for (const std::string& line : lines_containing(dir / "started", "idle")) {
        pids.push_back(static_cast<pid_t>(std::stol(line.substr(line.find(' ') + 1))));
    }
    return pids;
}

// SIGTERM to the daemon: it exits 0 and no worker that ever started is left; prints how long it took.
void stop_and_check_workers(CorralProcess& corral, const TempDir& dir) {
    const std::vector<pid_t> workers = worker_pids(dir);
    const auto asked = std::chrono::steady_clock::now();
    CHECK(corral.stop(30s) == 0);
    const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - asked);
    MESSAGE(workers.size() << " workers started at least once; the daemon stopped in " << took.count() << " ms");
    for (const pid_t pid : workers) CHECK_FALSE(process_alive(pid));
}

}  // namespace

TEST_CASE("faults: at 64 descriptors with 20 services, status answers and SIGTERM stops every service") {
    SKIP_OUT_OF_DESCRIPTORS_WHEN_SANITIZED();
    TempDir dir;
    dir.write("corral.toml", twenty_idle_services(dir));
    std::optional<CorralProcess> corral;
    corral.emplace(dir.path(), std::vector<std::string>{"up"}, 64UL);
    // Some services start; the rest fail for want of descriptors and back off.
    REQUIRE(wait_until([&] { return worker_pids(dir).size() >= 3; }, 30s));
    std::this_thread::sleep_for(3s);  // restarts keep hitting the limit meanwhile

    for (int round = 0; round < 5; ++round) {
        SocketClient client(dir / ".corral/corral.sock");
        REQUIRE(client.connected());
        const auto status = client.request("status");
        REQUIRE(status["ok"] == true);
        CHECK(status["result"]["instances"].size() == 20);
    }
    const std::string log = corral->stderr_text();
    CHECK(log.find("Too many open files") != std::string::npos);
    CHECK(log.find("Cgroup is not mounted") == std::string::npos);

    stop_and_check_workers(*corral, dir);
    CHECK(corral->stderr_text().find("cgroup.kill") == std::string::npos);
}

TEST_CASE("faults: with its descriptors taken by idle clients, SIGTERM still stops every service") {
    SKIP_OUT_OF_DESCRIPTORS_WHEN_SANITIZED();
    TempDir dir;
    dir.write("corral.toml", twenty_idle_services(dir));
    std::optional<CorralProcess> corral;
    corral.emplace(dir.path(), std::vector<std::string>{"up"}, 64UL);
    REQUIRE(wait_until([&] { return worker_pids(dir).size() >= 3; }, 30s));
    // Clients that connect and never send: the daemon accepts until its table and its reserve are full;
    // the rest wait in the backlog.
    std::vector<std::unique_ptr<SocketClient>> idle;
    for (int i = 0; i < 80; ++i) idle.push_back(std::make_unique<SocketClient>(dir / ".corral/corral.sock", 2s));
    MESSAGE(std::count_if(idle.begin(), idle.end(), [](const auto& c) { return c->connected(); }) << " idle clients connected");
    if (!wait_until([&] { return corral->stderr_text().find("clients wait") != std::string::npos; }, 10s)) {
        MESSAGE(corral->stderr_text());
        FAIL("the daemon never ran out of descriptors");
    }

    stop_and_check_workers(*corral, dir);
    // The clients took their share of the reserve, not the part kept for stop: it went through the cgroup.
    CHECK(corral->stderr_text().find("instead") == std::string::npos);
}

TEST_CASE("the daemon raises its own soft descriptor limit, and its services get back the one it was started with") {
    TempDir dir;
    dir.write("corral.toml", subst(R"TOML(
[services.limits]
command = ["sh", "-c", "ulimit -Sn > ${out}.tmp && mv ${out}.tmp ${out} && exec sleep 60"]
)TOML", {{"out", (dir / "soft").string()}}));
    rlimit mine{};
    REQUIRE(getrlimit(RLIMIT_NOFILE, &mine) == 0);
    REQUIRE(mine.rlim_max > 1000);
    rlimit lowered = mine;
    lowered.rlim_cur = 1000;
    REQUIRE(setrlimit(RLIMIT_NOFILE, &lowered) == 0);
    CorralProcess corral(dir.path(), {"up"});  // inherits 1000 / the hard limit
    REQUIRE(setrlimit(RLIMIT_NOFILE, &mine) == 0);
    REQUIRE(wait_until([&] { return std::filesystem::exists(dir / "soft"); }, 10s));
    CHECK(read_file(dir / "soft") == "1000\n");
    CHECK(lines_containing(dir / ".corral/corral.log", "open files limit raised from 1000 to").size() == 1);
    CHECK(corral.stop() == 0);
}
