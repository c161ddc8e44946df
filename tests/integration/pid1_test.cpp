// corral as a container's entrypoint: PID 1 of a new PID namespace (unshare --pid --fork --mount-proc), with
// --attach. It stops gracefully on SIGTERM and SIGINT (sent from outside, as `docker stop` does, and from
// inside, as `kill 1` in `kubectl exec` does: PID 1 gets only the signals it handles), reaps every orphan of
// the namespace (its services' and those of processes it did not start), and exits with the program's code.
#include <doctest/doctest.h>

#include <csignal>
#include <cstdlib>
#include <fstream>
#include <sys/stat.h>

#include "tests/integration/namespaced_corral.hpp"
#include "tests/support/processes.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_cgroups.hpp"
#include "tests/support/text.hpp"

using namespace corral::test;

namespace {

std::string service_file(const std::string& env = "{}") {
    return subst(R"(
[services.web]
command = ["node", "${fixture}"]
env = ${env}
)", {{"fixture", fixture("pid1_app.js")}, {"env", env}});
}

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// The last pid of the NSpid line: what the process is called in its own namespace.
std::string inner_pid(pid_t pid) {
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(status, line)) {
        if (line.rfind("NSpid:", 0) == 0) return line.substr(line.find_last_of(" \t") + 1);
    }
    return {};
}

std::string comm_of(pid_t pid) {
    std::string comm = read_file("/proc/" + std::to_string(pid) + "/comm");
    if (!comm.empty() && comm.back() == '\n') comm.pop_back();
    return comm;
}

// Runs `command` inside the namespace of `pid` (its PID and mount namespaces), as `docker exec` does.
int exec_in_namespace(pid_t pid, const std::string& command) {
    const std::string line = "timeout 10 nsenter --target " + std::to_string(pid) + " --pid --mount -- sh -c '" +
                             command + "'";
    return std::system(line.c_str());
}

}  // namespace

TEST_CASE("pid 1: corral up --attach puts stdout lines on stdout and stderr lines on stderr - SIGTERM stops it with 0") {
    TempDir dir;
    dir.write("corral.toml", service_file());
    NamespacedCorral corral(dir.path(), {"up", "--attach"});
    REQUIRE(wait_until([&] { return has(corral.out(), "web#0 | started") && has(corral.err(), "web#0 | warming up"); },
                       20s));
    REQUIRE(corral.corral_pid() > 0);
    CHECK(inner_pid(corral.corral_pid()) == "1");
    // Everything in the namespace runs below the test's memory-limited group.
    if (hybrid_cgroups()) {
        const std::string groups = read_file("/proc/" + std::to_string(corral.corral_pid()) + "/cgroup");
        const std::size_t memory = groups.find(":memory:");
        REQUIRE(memory != std::string::npos);
        const std::string path = groups.substr(memory + 8, groups.find('\n', memory) - memory - 8);
        CHECK(path.find("/corral-ns-test-") != std::string::npos);
        CHECK(read_trimmed("/sys/fs/cgroup/memory" + path + "/memory.limit_in_bytes") == "2147483648");
    }
    ::kill(corral.corral_pid(), SIGTERM);  // from outside the namespace, as docker stop and the kubelet send it
    CHECK(corral.wait(30s) == 0);
    const std::string out = corral.out();
    CHECK(has(out, "web#0 | stopping on SIGTERM\n"));  // the instance was stopped, not killed with the namespace
    CHECK(!has(out, "warming up"));
    CHECK(!has(out, "\033["));
    CHECK(has(corral.err(), "supervising 1 service(s)"));  // the daemon's own lines stay on stderr
}

TEST_CASE("pid 1: kill -INT 1 from inside the namespace stops corral gracefully - so does kill -TERM 1") {
    for (const char* name : {"INT", "TERM"}) {
        CAPTURE(name);
        TempDir dir;
        dir.write("corral.toml", service_file());
        NamespacedCorral corral(dir.path(), {"up", "--attach"});
        REQUIRE(wait_until([&] { return has(corral.out(), "web#0 | started"); }, 20s));
        // PID 1 of a namespace gets from inside it only the signals it has a handler for.
        CHECK(exec_in_namespace(corral.corral_pid(), std::string("kill -") + name + " 1") == 0);
        CHECK(corral.wait(30s) == 0);
        CHECK(has(corral.out(), "web#0 | stopping on SIGTERM\n"));
    }
}

TEST_CASE("pid 1: a SIGTERM that comes while corral still reads its file is not lost") {
    TempDir dir;
    // A FIFO for a file: corral waits in its first read until the test writes it, with no handler yet.
    REQUIRE(::mkfifo((dir / "corral.toml").c_str(), 0600) == 0);
    NamespacedCorral corral(dir.path(), {"up", "--attach"});
    const auto blocks_sigterm = [&] {
        const pid_t pid = corral.corral_pid();
        if (pid <= 0 || comm_of(pid) != "corral") return false;
        std::ifstream status("/proc/" + std::to_string(pid) + "/status");
        std::string line;
        while (std::getline(status, line)) {
            if (line.rfind("SigBlk:", 0) == 0) return ((std::stoull(line.substr(7), nullptr, 16) >> (SIGTERM - 1)) & 1) == 1;
        }
        return false;
    };
    REQUIRE(wait_until(blocks_sigterm, 20s));
    ::kill(corral.corral_pid(), SIGTERM);  // PID 1 without a handler: the kernel would drop it
    std::ofstream(dir / "corral.toml") << service_file();
    CHECK(corral.wait(30s) == 0);
    CHECK(has(corral.err(), "corral stopped"));
}

TEST_CASE("pid 1: corral run exits with the program's exit code - 128+N for a signal") {
    TempDir dir;
    {
        NamespacedCorral corral(dir.path(), {"run", "--attach", "--restart", "never", "--name", "job", "--", "env",
                                             "EXIT_CODE=3", "node", fixture("pid1_app.js").string()});
        CHECK(corral.wait(30s) == 3);
        CHECK(has(corral.out(), "job#0 | started"));
        CHECK(has(corral.err(), "job#0 | warming up"));
    }
    NamespacedCorral killed(dir.path(), {"run", "--attach", "--restart", "never", "--name", "job", "--", "sh", "-c",
                                         "echo going; kill -9 $$"});
    CHECK(killed.wait(30s) == 137);
    CHECK(has(killed.out(), "job#0 | going"));
}

TEST_CASE("pid 1: the orphan of a worker that double-forked is reaped - it leaves no zombie") {
    TempDir dir;
    dir.write("corral.toml", service_file(R"({ ORPHAN = "1" })"));
    NamespacedCorral corral(dir.path(), {"up", "--attach"});
    REQUIRE(wait_until([&] { return has(corral.out(), "web#0 | orphan "); }, 20s));
    // The worker watches /proc of the namespace: a zombie would stay there until reaped.
    CHECK(wait_until([&] { return has(corral.out(), " reaped\n"); }, 15s));
    ::kill(corral.corral_pid(), SIGTERM);
    CHECK(corral.wait(30s) == 0);
}

TEST_CASE("pid 1: an orphan of a process corral did not start (docker exec) is reparented to it and reaped") {
    TempDir dir;
    dir.write("corral.toml", service_file());
    NamespacedCorral corral(dir.path(), {"up", "--attach"});
    REQUIRE(wait_until([&] { return has(corral.out(), "web#0 | started"); }, 20s));
    const pid_t pid1 = corral.corral_pid();
    // The shell exits at once; its sleep's parent is then PID 1 of the namespace, corral.
    REQUIRE(exec_in_namespace(pid1, "sleep 2 >/dev/null 2>&1 &") == 0);
    const auto sleeping_child = [&] {
        for (const pid_t child : children_of(pid1)) {
            if (comm_of(child) == "sleep") return true;
        }
        return false;
    };
    REQUIRE(wait_until(sleeping_child, 5s));
    CHECK(wait_until([&] { return !sleeping_child(); }, 15s));  // exited and reaped: not even a zombie is left
    ::kill(pid1, SIGTERM);
    CHECK(corral.wait(30s) == 0);
}
