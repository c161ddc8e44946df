// SIGHUP: apply the difference between the running services and the file; a bad file changes nothing.
#include <doctest/doctest.h>
#include <signal.h>

#include "tests/support/processes.hpp"
#include "tests/support/records.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/text.hpp"

using namespace corral::test;

namespace {

const char* kBefore = R"(
[services.keep]
command = ["node", "${idle}"]
env = { RECORD_FILE = "${record}" }

[services.change]
command = ["node", "${idle}"]
env = { RECORD_FILE = "${record}", VERSION = "1" }

[services.gone]
command = ["node", "${idle}"]
env = { RECORD_FILE = "${record}" }

[services.scale]
command = ["node", "${idle}"]
env = { RECORD_FILE = "${record}" }

[services.tune]
command = ["node", "${idle}"]
env = { RECORD_FILE = "${record}" }
)";

const char* kAfter = R"(
[services.keep]
command = ["node", "${idle}"]
env = { RECORD_FILE = "${record}" }

[services.change]
command = ["node", "${idle}"]
env = { RECORD_FILE = "${record}", VERSION = "2" }

[services.scale]
command = ["node", "${idle}"]
env = { RECORD_FILE = "${record}" }
instances = 3

[services.added]
command = ["node", "${idle}"]
env = { RECORD_FILE = "${record}" }

[services.tune]
command = ["node", "${idle}"]
env = { RECORD_FILE = "${record}" }
backoff = { initial = "1s" }
logs = { keep = 1 }
)";

pid_t latest(const std::filesystem::path& record, const std::string& who) {
    const auto records = records_of(record, who);
    return records.empty() ? 0 : records.back().pid;
}

}  // namespace

TEST_CASE("SIGHUP applies the difference and keeps unchanged services running with the same pid") {
    TempDir dir;
    const std::map<std::string, std::string> values = {{"idle", fixture("idle.js")}, {"record", dir / "record"}};
    dir.write("corral.toml", subst(kBefore, values));
    CorralProcess corral(dir.path(), {"up"});
    const auto record = dir / "record";
    REQUIRE(wait_until([&] { return read_records(record).size() == 5; }, 10s));
    const pid_t keep = latest(record, "keep#0");
    const pid_t change = latest(record, "change#0");
    const pid_t gone = latest(record, "gone#0");
    const pid_t scale = latest(record, "scale#0");
    const pid_t tune = latest(record, "tune#0");

    dir.write("corral.toml", subst(kAfter, values));
    corral.signal(SIGHUP);
    REQUIRE(wait_until([&] { return read_records(record).size() == 9; }, 10s));
    const auto log = dir / ".corral/corral.log";
    REQUIRE(wait_until([&] { return !lines_containing(log, "reload complete: 5 service(s)").empty(); }, 5s));

    CHECK(latest(record, "keep#0") == keep);
    CHECK(process_alive(keep));
    CHECK(latest(record, "tune#0") == tune);
    CHECK(process_alive(tune));
    CHECK(latest(record, "scale#0") == scale);
    CHECK(process_alive(scale));
    CHECK(count_records(record, "scale#1") == 1);
    CHECK(count_records(record, "scale#2") == 1);
    CHECK(count_records(record, "added#0") == 1);
    CHECK(count_records(record, "change#0") == 2);
    CHECK(latest(record, "change#0") != change);
    CHECK(process_alive(latest(record, "change#0")));
    CHECK(wait_until([&] { return !process_alive(change) && !process_alive(gone); }, 5s));
    CHECK(lines_containing(log, "change: its command, cwd, env, sockets or Node diagnostics changed: rolling its instances").size() == 1);
    CHECK(lines_containing(log, "gone: removed from the service file, stopping it").size() == 1);
    CHECK(lines_containing(log, "scale: scaling from 1 to 3 instance(s)").size() == 1);
    CHECK(lines_containing(log, "added: new service").size() == 1);
    CHECK(lines_containing(log, "tune: settings updated, no restart needed").size() == 1);
    CHECK(corral.stop() == 0);
}

TEST_CASE("SIGHUP with a bad file reports it with its position and changes nothing") {
    TempDir dir;
    const std::map<std::string, std::string> values = {{"idle", fixture("idle.js")}, {"record", dir / "record"}};
    dir.write("corral.toml", subst(kBefore, values));
    CorralProcess corral(dir.path(), {"up"});
    const auto record = dir / "record";
    REQUIRE(wait_until([&] { return read_records(record).size() == 5; }, 10s));
    const auto pids = descendants_of(corral.pid());

    dir.write("corral.toml", "[services.keep]\ncommand = [\"node\"]\nrestart = \"sometimes\"\n");
    corral.signal(SIGHUP);
    const auto log = dir / ".corral/corral.log";
    REQUIRE(wait_until([&] { return !lines_containing(log, "reload failed").empty(); }, 5s));
    CHECK(lines_containing(log, "corral.toml:3:11: ").size() == 1);
    CHECK(lines_containing(log, "reload failed: 1 error(s) in " + (dir / "corral.toml").string() +
                                    "; nothing was changed")
              .size() == 1);
    CHECK(descendants_of(corral.pid()) == pids);
    for (const pid_t pid : pids) CHECK(process_alive(pid));
    CHECK(read_records(record).size() == 5);
    CHECK(corral.stop() == 0);
}
