// The death investigation on a real loop: its evidence timer runs, post-mortems are written into a
// temporary state directory. The owner is a fake that answers with plain values.
#include "supervisor/instance/death_investigation.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <memory>
#include <vector>

#include "supervisor/postmortem/bundle_reader.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/uv_loop.hpp"

using corral::policies::ExitReason;
using corral::policies::ExitStatus;
using corral::supervisor::DeathInvestigation;
using corral::test::Loop;
using corral::test::TempDir;

namespace {

constexpr pid_t kPid = 4242;
constexpr char kKilled[] = "Memory cgroup out of memory: Killed process 4242 (node) total-vm:1000kB";

struct Owner final : DeathInvestigation::Owner {
    DeathInvestigation::Circumstances now;
    std::vector<DeathInvestigation::Conclusion> conclusions;
    std::uint64_t concluded_at = 0;  // loop time
    unsigned settled = 0;
    std::uint64_t settled_at = 0;
    uv_loop_t* loop = nullptr;

    DeathInvestigation::Circumstances circumstances() const override { return now; }
    void on_death_concluded(const DeathInvestigation::Conclusion& conclusion) override {
        conclusions.push_back(conclusion);
        concluded_at = uv_now(loop);
    }
    void on_investigation_settled() override {
        ++settled;
        settled_at = uv_now(loop);
    }
};

// A fresh investigation of instance api#0 whose incarnation kPid runs (no cgroup).
struct Case {
    TempDir state;
    Loop loop;
    Owner owner;
    std::unique_ptr<DeathInvestigation> investigation;

    Case() {
        investigation = std::make_unique<DeathInvestigation>(
            loop.get(), owner,
            DeathInvestigation::Setup{"api#0", "api", 0, state.path(), {}, state / "api-0.out.log",
                                      state / "api-0.err.log"});
        owner.loop = loop.get();
        investigation->begin(kPid, std::chrono::system_clock::now(), nullptr);
    }
    // The investigation goes (closing its timer), the loop runs empty and closes.
    int close() {
        investigation.reset();
        return loop.close();
    }
    ExitReason reason() const { return owner.conclusions.at(0).classification.reason; }
    std::optional<corral::supervisor::postmortem::Bundle> bundle() const {
        const auto& last = investigation->last_exit();
        if (!last || last->postmortem.empty()) return std::nullopt;
        return corral::supervisor::postmortem::load_bundle(state.path(), last->postmortem);
    }
};

const ExitStatus kKilledBySigkill{.code = 0, .signal = SIGKILL};

}  // namespace

TEST_CASE("death investigation: an exit with a code is concluded at once, and written up on the next turn") {
    Case c;
    c.investigation->exited({.code = 1, .signal = 0});

    REQUIRE(c.owner.conclusions.size() == 1);
    CHECK_FALSE(c.owner.conclusions[0].provisional);
    CHECK(c.reason() == ExitReason::exit_code);
    CHECK(c.owner.conclusions[0].status.code == 1);
    CHECK(c.owner.conclusions[0].cause.empty());
    REQUIRE(c.investigation->last_exit());
    CHECK(c.investigation->last_exit()->reason == ExitReason::exit_code);
    // The bundle waits for the next turn of the loop: the owner's restart goes first.
    CHECK(c.investigation->open());
    CHECK_FALSE(c.bundle());
    uv_run(c.loop.get(), UV_RUN_DEFAULT);
    CHECK_FALSE(c.investigation->open());
    CHECK(c.owner.settled == 1);
    const auto bundle = c.bundle();
    REQUIRE(bundle);
    CHECK(bundle->info.reason == "exit-code");
    CHECK(bundle->summary["pid"] == kPid);
    CHECK(c.investigation->exits_by_reason() == std::map<std::string, unsigned>{{"exit-code", 1}});
    CHECK(c.owner.conclusions.size() == 1);
    CHECK(c.close() == 0);
}

TEST_CASE("death investigation: a SIGKILL nobody explains is told at once, and concluded after the evidence wait") {
    Case c;
    const std::uint64_t exited_at = uv_now(c.loop.get());
    c.investigation->exited(kKilledBySigkill);
    REQUIRE(c.owner.conclusions.size() == 1);  // the restart does not wait for the evidence
    CHECK(c.owner.conclusions[0].provisional);
    CHECK(c.reason() == ExitReason::signal);
    CHECK(c.investigation->open());
    CHECK(c.investigation->investigating() == kPid);
    CHECK(c.investigation->exits_by_reason().empty());  // counted when concluded
    uv_run(c.loop.get(), UV_RUN_DEFAULT);

    CHECK(c.owner.conclusions.size() == 1);
    CHECK(c.owner.settled == 1);
    CHECK(c.owner.settled_at - exited_at >= static_cast<std::uint64_t>(corral::policies::kEvidenceWait.count()));
    CHECK(c.investigation->last_exit()->reason == ExitReason::signal);
    CHECK(c.investigation->exits_by_reason() == std::map<std::string, unsigned>{{"signal", 1}});
    CHECK_FALSE(c.investigation->open());
    CHECK(c.bundle());
    CHECK(c.close() == 0);
}

TEST_CASE("death investigation: the kernel's report arriving after the exit concludes early, as an OOM kill") {
    Case c;
    const std::uint64_t exited_at = uv_now(c.loop.get());
    c.investigation->exited(kKilledBySigkill);
    corral::UvHandle<uv_timer_t> report;
    REQUIRE(report.init(uv_timer_init, c.loop.get()) == 0);
    report.get()->data = c.investigation.get();
    uv_timer_start(report.get(), [](uv_timer_t* timer) {
        static_cast<DeathInvestigation*>(timer->data)->note_kernel_oom(kPid, false, kKilled, "oom-kill report\n");
    }, 10, 0);
    uv_run(c.loop.get(), UV_RUN_DEFAULT);

    REQUIRE(c.owner.conclusions.size() == 1);
    CHECK(c.owner.conclusions[0].provisional);
    CHECK(c.owner.settled == 1);
    CHECK(c.owner.settled_at - exited_at < static_cast<std::uint64_t>(corral::policies::kEvidenceWait.count()));
    CHECK(c.investigation->last_exit()->reason == ExitReason::oom_kill);
    CHECK(c.investigation->exits_by_reason() == std::map<std::string, unsigned>{{"oom-kill", 1}});
    const auto bundle = c.bundle();
    REQUIRE(bundle);
    CHECK(bundle->info.reason == "oom-kill");
    report.close();
    CHECK(c.close() == 0);
}

TEST_CASE("death investigation: a kernel report about another process is kept for the post-mortem, not taken as the cause") {
    Case c;
    c.investigation->exited(kKilledBySigkill);
    c.investigation->note_kernel_oom(kPid + 1, false, "Killed process 4243 (node)", "other report\n");
    CHECK(c.investigation->open());
    uv_run(c.loop.get(), UV_RUN_DEFAULT);

    REQUIRE(c.owner.conclusions.size() == 1);
    CHECK(c.investigation->last_exit()->reason == ExitReason::signal);
    const auto bundle = c.bundle();
    REQUIRE(bundle);
    const auto& files = bundle->files;
    CHECK(std::any_of(files.begin(), files.end(), [](const auto& file) { return file.name == "kernel.log"; }));
    CHECK(c.close() == 0);
}

TEST_CASE("death investigation: another process OOM-killed while the main one runs gets a bundle of its own") {
    Case c;
    c.investigation->note_kernel_oom(kPid + 1, false,
                                     "Memory cgroup out of memory: Killed process 4243 (hog) total-vm:1000kB",
                                     "oom-kill report\n");
    CHECK_FALSE(c.investigation->open());
    CHECK(c.owner.conclusions.empty());  // the instance did not die
    CHECK_FALSE(c.investigation->last_exit());
    const auto listed = corral::supervisor::postmortem::list_bundles(c.state.path(), "");
    REQUIRE(listed.size() == 1);
    const auto bundle = corral::supervisor::postmortem::load_bundle(c.state.path(), listed[0].id);
    REQUIRE(bundle);
    CHECK(bundle->summary["reason"] == "oom-kill");
    CHECK(bundle->summary["pid"] == kPid + 1);
    CHECK(bundle->summary["exit"]["signal"] == "SIGKILL");
    REQUIRE(!bundle->summary["evidence"].empty());
    CHECK(bundle->summary["evidence"][0] ==
          "process 4243 (hog) of the instance was killed; its main process (pid 4242) survived and keeps running");

    // A requested stop later is a clean stop: the child's kill is not its evidence, and no bundle says SIGTERM.
    c.owner.now.stop_requested = true;
    c.investigation->exited({.code = 0, .signal = SIGTERM});
    REQUIRE(c.owner.conclusions.size() == 1);
    CHECK(c.reason() == ExitReason::signal);
    CHECK(c.investigation->last_exit()->postmortem.empty());
    CHECK(corral::supervisor::postmortem::list_bundles(c.state.path(), "").size() == 1);
    CHECK(c.close() == 0);
}

TEST_CASE("death investigation: an abort waits for stderr, and V8's last words make it a heap OOM") {
    Case c;
    c.owner.now.stderr_open = true;
    const ExitStatus aborted{.code = 0, .signal = SIGABRT};
    c.investigation->exited(aborted);
    CHECK(c.owner.conclusions.empty());
    CHECK_FALSE(c.investigation->reconsider());  // nothing new yet

    c.investigation->note_stderr("FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory\n");
    CHECK(c.investigation->reconsider());
    REQUIRE(c.owner.conclusions.size() == 1);
    CHECK(c.reason() == ExitReason::v8_heap_oom);
    CHECK(c.owner.conclusions[0].cause ==
          std::string(corral::policies::explain(ExitReason::v8_heap_oom)) + ", " + corral::policies::describe(aborted));
    uv_run(c.loop.get(), UV_RUN_DEFAULT);
    CHECK(c.owner.conclusions.size() == 1);
    CHECK(c.close() == 0);
}

TEST_CASE("death investigation: corral's own thrashing kill needs no more evidence") {
    Case c;
    c.investigation->note_thrashing("memory thrashing over the last 10.0s: PSI full 40.0% (threshold 30%), 0 refaults/s");
    c.investigation->exited(kKilledBySigkill);

    REQUIRE(c.owner.conclusions.size() == 1);
    CHECK_FALSE(c.owner.conclusions[0].provisional);
    CHECK(c.reason() == ExitReason::thrashing);
    CHECK(c.investigation->exits_by_reason() == std::map<std::string, unsigned>{{"thrashing", 1}});
    CHECK(c.close() == 0);
}

TEST_CASE("death investigation: a new incarnation starts with no evidence from the last one") {
    Case c;
    c.investigation->note_memory_limit("memory 200.0MiB reached memory.restart_at 200.0MiB");
    c.investigation->begin(kPid + 1, std::chrono::system_clock::now(), nullptr);
    c.investigation->exited(kKilledBySigkill);
    CHECK(c.investigation->open());
    uv_run(c.loop.get(), UV_RUN_DEFAULT);

    REQUIRE(c.owner.conclusions.size() == 1);
    CHECK(c.reason() == ExitReason::signal);
    CHECK(c.close() == 0);
}

TEST_CASE("death investigation: a clean requested stop gets no post-mortem") {
    Case c;
    c.owner.now.stop_requested = true;
    c.investigation->exited({.code = 0, .signal = 0});

    REQUIRE(c.owner.conclusions.size() == 1);
    REQUIRE(c.investigation->last_exit());
    CHECK(c.investigation->last_exit()->postmortem.empty());
    CHECK(corral::supervisor::postmortem::list_bundles(c.state.path(), "").empty());
    CHECK(c.close() == 0);
}

TEST_CASE("death investigation: a crash loop gets one bundle per window - the deaths after it are counted") {
    Case c;
    for (int i = 0; i < 3; ++i) {
        c.investigation->begin(kPid + i, std::chrono::system_clock::now(), nullptr);
        c.investigation->exited({.code = 1, .signal = 0});
        uv_run(c.loop.get(), UV_RUN_DEFAULT);
    }
    REQUIRE(c.owner.conclusions.size() == 3);
    const auto bundles = corral::supervisor::postmortem::list_bundles(c.state.path(), "");
    REQUIRE(bundles.size() == 1);
    const auto& last = *c.investigation->last_exit();
    CHECK(last.postmortem.empty());
    CHECK(last.window_postmortem == bundles[0].id);
    CHECK(last.counted_in_window == 2);
    CHECK(c.investigation->postmortems_skipped() == 2);
    CHECK(c.investigation->exits_by_reason() == std::map<std::string, unsigned>{{"exit-code", 3}});
    // The first OOM kill in the window still gets its own bundle.
    c.investigation->begin(kPid + 3, std::chrono::system_clock::now(), nullptr);
    c.investigation->note_kernel_oom(kPid + 3, false, "Killed process", "report\n");
    c.investigation->exited(kKilledBySigkill);
    uv_run(c.loop.get(), UV_RUN_DEFAULT);
    CHECK(c.investigation->last_exit()->reason == ExitReason::oom_kill);
    CHECK_FALSE(c.investigation->last_exit()->postmortem.empty());
    CHECK(corral::supervisor::postmortem::list_bundles(c.state.path(), "").size() == 2);
    CHECK(c.close() == 0);
}

TEST_CASE("death investigation: the next incarnation runs before a late OOM verdict, and the dead one's record and bundle get it") {
    Case c;
    c.owner.now.diagnostics_dir = c.state / "diagnostics" / "api-0";
    std::filesystem::create_directories(c.owner.now.diagnostics_dir);
    c.state.write("diagnostics/api-0/heap.heapsnapshot", "{}");
    c.state.write("api-0.out.log", "last words of 4242\n");
    c.investigation->exited(kKilledBySigkill);
    REQUIRE(c.owner.conclusions.size() == 1);
    CHECK(c.owner.conclusions[0].provisional);

    // The owner restarts at once: the next incarnation empties the diagnostics directory, writes to the
    // log, and is the one running when the kernel's report about the dead one arrives.
    std::filesystem::remove_all(c.owner.now.diagnostics_dir);
    std::filesystem::create_directories(c.owner.now.diagnostics_dir);
    c.investigation->begin(kPid + 1, std::chrono::system_clock::now(), nullptr);
    c.state.write("api-0.out.log", "last words of 4242\nfirst line of 4243\n");
    c.investigation->note_kernel_oom(kPid, false, kKilled, "oom-kill report\n");
    uv_run(c.loop.get(), UV_RUN_DEFAULT);

    CHECK(c.owner.conclusions.size() == 1);  // the lifecycle heard once
    REQUIRE(c.investigation->last_exit());
    CHECK(c.investigation->last_exit()->reason == ExitReason::oom_kill);
    const auto bundle = c.bundle();
    REQUIRE(bundle);
    CHECK(bundle->summary["reason"] == "oom-kill");
    CHECK(bundle->summary["pid"] == kPid);
    const auto file = [&](const std::string& name) {
        const auto it = std::find_if(bundle->files.begin(), bundle->files.end(), [&](const auto& f) { return f.name == name; });
        return it != bundle->files.end();
    };
    CHECK(file("kernel.log"));
    CHECK(file("heap.heapsnapshot"));  // set aside before the next incarnation emptied the directory
    const std::string tail = corral::test::read_file(c.state / "postmortem" / c.investigation->last_exit()->postmortem / "stdout.log");
    CHECK(tail.find("last words of 4242") != std::string::npos);
    CHECK(tail.find("first line of 4243") == std::string::npos);
    CHECK(std::filesystem::is_empty(c.owner.now.diagnostics_dir));
    CHECK(std::distance(std::filesystem::directory_iterator(c.state / "diagnostics"), {}) == 1);  // nothing left aside

    // The next incarnation's own exit is judged on its own evidence.
    c.investigation->exited({.code = 1, .signal = 0});
    CHECK(c.owner.conclusions.back().classification.reason == ExitReason::exit_code);
    uv_run(c.loop.get(), UV_RUN_DEFAULT);
    CHECK(c.investigation->exits_by_reason() == std::map<std::string, unsigned>{{"exit-code", 1}, {"oom-kill", 1}});
    CHECK(c.close() == 0);
}
