// The daemon registry: where it lives, what an entry holds, how stale entries are told and pruned.
#include "supervisor/registry/registry.hpp"

#include <doctest/doctest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "supervisor/registry/runtime_dir.hpp"
#include "tests/support/temp_dir.hpp"

using namespace corral;
using namespace corral::registry;
using corral::test::read_file;
using corral::test::TempDir;
namespace fs = std::filesystem;

namespace {

Entry sample_entry(pid_t pid, std::uint64_t start) {
    Entry entry;
    entry.pid = pid;
    entry.pid_start = start;
    entry.socket = "/srv/app/.corral/corral.sock";
    entry.service_file = "/srv/app/corral.toml";
    entry.state_dir = "/srv/app/.corral";
    entry.version = "0.1.0";
    entry.started_at_ms = 1764000000000;
    return entry;
}

// An entry of this test process: live, as long as the test runs.
Entry live_entry(const std::string& file) {
    Entry entry = entry_of_this_daemon("/x/.corral/corral.sock", file, "/x/.corral");
    return entry;
}

// The pid of a process that is gone (started, exited and reaped).
pid_t dead_pid() {
    const pid_t child = fork();
    if (child == 0) _exit(0);
    waitpid(child, nullptr, 0);
    return child;
}

}  // namespace

TEST_CASE("the runtime directory: the override, then XDG_RUNTIME_DIR, then /run for root, then /tmp") {
    CHECK(choose_runtime_dir("/t/rt", "/run/user/1000", 1000) == "/t/rt");
    CHECK(choose_runtime_dir("", "/run/user/1000", 1000) == "/run/user/1000/corral");
    CHECK(choose_runtime_dir(nullptr, nullptr, 0) == "/run/corral");
    CHECK(choose_runtime_dir(nullptr, "", 1000) == "/tmp/corral-1000");
}

TEST_CASE("the runtime directory is created with mode 0700, and a file in its place is refused") {
    TempDir dir;
    const auto made = open_runtime_dir(dir / "a" / "corral");
    REQUIRE(made.ok());
    struct stat info {};
    REQUIRE(::stat((dir / "a" / "corral").c_str(), &info) == 0);
    CHECK((info.st_mode & 0777) == 0700);
    dir.write("plain", "x");
    const auto refused = open_runtime_dir(dir / "plain");
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().message().find("not a directory") != std::string::npos);
}

TEST_CASE("a runtime directory of another user is refused") {
    if (::geteuid() != 0) {
        MESSAGE("needs root to give a directory to another user; skipped");
        return;
    }
    TempDir dir;
    const fs::path theirs = dir.make_dir("theirs");
    REQUIRE(::chown(theirs.c_str(), 65534, 65534) == 0);
    const auto refused = open_runtime_dir(theirs);
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().message().find("belongs to uid 65534") != std::string::npos);
}

TEST_CASE("an entry survives its JSON, and a damaged one says what is wrong") {
    const Entry entry = sample_entry(4242, 123456);
    std::string error;
    const auto back = entry_from_json(entry_to_json(entry), error);
    REQUIRE(back);
    CHECK(*back == entry);

    Entry run = sample_entry(4243, 7);
    run.service_file.clear();
    const auto run_back = entry_from_json(entry_to_json(run), error);
    REQUIRE(run_back);
    CHECK(run_back->service_file.empty());

    CHECK_FALSE(entry_from_json("{\"pid\":1}", error));
    CHECK(error.find("pid_start") != std::string::npos);
    error.clear();
    CHECK_FALSE(entry_from_json("not json", error));
    CHECK(error == "not a JSON object");
}

TEST_CASE("the start time is field 22 of /proc/PID/stat, whatever the command name holds") {
    const std::string rest = " S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 987654 20 21";
    CHECK(start_time_of_stat("42 (node) " + rest.substr(1)) == 987654u);
    CHECK(start_time_of_stat("42 (a) b) c (d) " + rest.substr(1)) == 987654u);
    CHECK_FALSE(start_time_of_stat("42 (node) Z 1 2 3"));
    CHECK_FALSE(start_time_of_stat("42 (zombie) Z 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 987654 20 21"));
    CHECK_FALSE(start_time_of_stat("garbage"));
    CHECK(process_start_time(::getpid()).has_value());
}

TEST_CASE("an entry is stale when its pid is gone or was started at another time") {
    const Entry entry = sample_entry(4242, 1000);
    CHECK_FALSE(is_stale(entry, 1000u));
    CHECK(is_stale(entry, 1001u));  // the pid was reused
    CHECK(is_stale(entry, std::nullopt));
}

TEST_CASE("readers list live entries and prune the stale ones") {
    TempDir dir;
    const Entry live = live_entry("/srv/a/corral.toml");
    REQUIRE(write_entry(dir.path(), live).ok());
    const Entry dead = sample_entry(dead_pid(), 5);
    REQUIRE(write_entry(dir.path(), dead).ok());
    Entry reused = sample_entry(::getppid(), 1);  // a live pid, started at another time
    REQUIRE(write_entry(dir.path(), reused).ok());
    dir.write("notes.txt", "not an entry");
    dir.write("1.json", "{broken");

    const std::vector<Entry> entries = read_entries(dir.path());
    REQUIRE(entries.size() == 1);
    CHECK(entries[0] == live);
    CHECK(fs::exists(entry_path(dir.path(), live.pid)));
    CHECK_FALSE(fs::exists(entry_path(dir.path(), dead.pid)));
    CHECK_FALSE(fs::exists(entry_path(dir.path(), reused.pid)));
    CHECK(fs::exists(dir / "notes.txt"));  // not ours to remove
    CHECK(fs::exists(dir / "1.json"));
    CHECK(read_entries(dir / "missing").empty());
}

TEST_CASE("entries are written whole, through a temporary file, and found by their service file") {
    TempDir dir;
    const Entry entry = live_entry("/srv/a/corral.toml");
    dir.write(std::to_string(entry.pid) + ".json", "{\"half\":");
    REQUIRE(write_entry(dir.path(), entry).ok());
    CHECK_FALSE(fs::exists(dir / (std::to_string(entry.pid) + ".json.tmp")));
    std::string error;
    CHECK(entry_from_json(read_file(entry_path(dir.path(), entry.pid)), error) == entry);
    CHECK(find_by_service_file(dir.path(), "/srv/a/corral.toml") == entry);
    CHECK_FALSE(find_by_service_file(dir.path(), "/srv/b/corral.toml"));
}

TEST_CASE("a registration removes its entry, but not one a later daemon with the same pid wrote") {
    TempDir dir;
    const Entry entry = live_entry("/srv/a/corral.toml");
    {
        auto registration = Registration::create(dir.path(), entry);
        REQUIRE(registration.ok());
        CHECK(fs::exists(entry_path(dir.path(), entry.pid)));
    }
    CHECK_FALSE(fs::exists(entry_path(dir.path(), entry.pid)));

    auto registration = Registration::create(dir.path(), entry);
    REQUIRE(registration.ok());
    Entry later = entry;
    later.pid_start += 1;
    REQUIRE(write_entry(dir.path(), later).ok());
    registration->remove();
    CHECK(fs::exists(entry_path(dir.path(), entry.pid)));
}

TEST_CASE("a registration that cannot be written says where") {
    TempDir dir;
    const auto registration = Registration::create(dir / "missing", live_entry(""));
    REQUIRE_FALSE(registration.ok());
    CHECK(registration.error().message().find("missing") != std::string::npos);
}
