// Faults: a worker killed with kill -9 while its daemon is stopped (SIGSTOP). Its uptime (the log line,
// the post-mortem) is how long it ran, not how long until the daemon was resumed and noticed.
#include <doctest/doctest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <thread>

#include <nlohmann/json.hpp>

#include "tests/support/processes.hpp"
#include "tests/support/records.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/text.hpp"

using namespace corral::test;
namespace fs = std::filesystem;

namespace {

std::optional<nlohmann::json> first_summary(const fs::path& dir) {
    std::error_code ec;
    for (const auto& bundle : fs::directory_iterator(dir, ec)) {
        std::ifstream in(bundle.path() / "summary.json");
        if (in) return nlohmann::json::parse(in, nullptr, false);
    }
    return std::nullopt;
}

}  // namespace

TEST_CASE("faults: a worker killed while the daemon is stopped has the uptime it lived, not the daemon's pause") {
    TempDir dir;
    dir.write("corral.toml", subst(R"TOML(
[services.idle]
command = ["node", "${idle}"]
env = { RECORD_FILE = "${record}" }
)TOML", {{"idle", fixture("idle.js")}, {"record", (dir / "record").string()}}));
    CorralProcess corral(dir.path(), {"up"});
    REQUIRE(wait_until([&] { return lines_containing(dir / "record", "idle#0").size() == 1; }, 20s));
    const std::string first = lines_containing(dir / "record", "idle#0").front();
    const pid_t worker = static_cast<pid_t>(std::stol(first.substr(first.find(' ') + 1)));
    std::this_thread::sleep_for(2s);

    corral.signal(SIGSTOP);
    REQUIRE(wait_until([&] { return process_state(corral.pid()) == 'T'; }, 5s));
    ::kill(worker, SIGKILL);
    std::this_thread::sleep_for(5s);
    corral.signal(SIGCONT);
    REQUIRE(wait_until([&] { return lines_containing(dir / "record", "idle#0").size() == 2; }, 20s));

    std::optional<nlohmann::json> summary;
    REQUIRE(wait_until([&] { return (summary = first_summary(dir / ".corral/postmortem/idle-0")).has_value(); }, 10s));
    const auto uptime_ms = (*summary)["uptime_ms"].get<long>();
    // It ran ~2 s; the daemon last went to wait at most a second before it was stopped.
    MESSAGE("uptime in the post-mortem: " << uptime_ms << " ms (the worker ran ~2 s, the daemon was stopped 5 s)");
    CHECK(uptime_ms >= 900);
    CHECK(uptime_ms < 4000);
    for (const char* wrong : {"killed by SIGKILL after 5", "killed by SIGKILL after 6", "killed by SIGKILL after 7"}) {
        CHECK(corral.stderr_text().find(wrong) == std::string::npos);
    }
    CHECK(corral.stop() == 0);
}
