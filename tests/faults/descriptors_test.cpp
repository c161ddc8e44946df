// Faults: a daemon under a descriptor limit far too low for its services (64, for 20 services: each
// costs it several descriptors). What it cannot start is reported as "Too many open files"; the control
// socket still answers; SIGTERM still stops every service that runs, and the daemon exits 0.
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/control_socket.hpp"
#include "tests/support/processes.hpp"
#include "tests/support/records.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/text.hpp"

using namespace corral::test;

namespace {

// RLIMIT_NOFILE of this process lowered (soft and hard) while it lives, so that the daemon it starts
// inherits it; restored on destruction (raising a hard limit again needs CAP_SYS_RESOURCE: root).
class LowFdLimit {
public:
    explicit LowFdLimit(rlim_t limit) {
        ::getrlimit(RLIMIT_NOFILE, &saved_);
        const rlimit low{limit, limit};
        ok_ = ::setrlimit(RLIMIT_NOFILE, &low) == 0;
    }
    ~LowFdLimit() { ::setrlimit(RLIMIT_NOFILE, &saved_); }
    LowFdLimit(const LowFdLimit&) = delete;
    LowFdLimit& operator=(const LowFdLimit&) = delete;
    bool ok() const { return ok_; }

private:
    rlimit saved_{};
    bool ok_ = false;
};

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

}  // namespace

TEST_CASE("faults: at 64 descriptors with 20 services, status answers and SIGTERM stops every service") {
    if (::geteuid() != 0) {
        MESSAGE("skipped: restoring the test's own descriptor limit afterwards needs root");
        return;
    }
    TempDir dir;
    dir.write("corral.toml", twenty_idle_services(dir));
    std::optional<CorralProcess> corral;
    {
        LowFdLimit limit(64);
        REQUIRE(limit.ok());
        corral.emplace(dir.path(), std::vector<std::string>{"up"});
    }
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

    const std::vector<pid_t> workers = worker_pids(dir);
    const auto asked = std::chrono::steady_clock::now();
    CHECK(corral->stop(30s) == 0);
    const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - asked);
    MESSAGE(workers.size() << " workers started at least once; the daemon stopped in " << took.count() << " ms");
    for (const pid_t pid : workers) CHECK_FALSE(process_alive(pid));
    CHECK(corral->stderr_text().find("cgroup.kill") == std::string::npos);
}
