#include "policies/exit_classification.hpp"

#include <doctest/doctest.h>

#include <csignal>

using namespace corral::policies;

namespace {

ExitEvidence killed(int signal) {
    ExitEvidence e;
    e.status.signal = signal;
    return e;
}

}  // namespace

TEST_CASE("classification: the cgroup's oom_kill counter moving under a SIGKILL is a memcg OOM kill") {
    ExitEvidence e = killed(SIGKILL);
    e.oom_kills_before = 2;
    e.oom_kills_after = 3;
    const Classification c = classify_exit(e);
    CHECK(c.reason == ExitReason::oom_kill);
    CHECK(c.evidence == std::vector<std::string>{"cgroup oom_kill counter: 2 -> 3", "killed by SIGKILL"});
    CHECK_FALSE(needs_more_evidence(e));
}

TEST_CASE("classification: the kernel naming our pid is an OOM kill - global when it says so") {
    ExitEvidence e = killed(SIGKILL);
    e.kernel_killed_line = "Memory cgroup out of memory: Killed process 5859 (node)";
    CHECK(classify_exit(e).reason == ExitReason::oom_kill);
    CHECK(classify_exit(e).evidence.front() == "kernel: Memory cgroup out of memory: Killed process 5859 (node)");
    e.kernel_global = true;
    e.kernel_killed_line = "Out of memory: Killed process 4242 (node)";
    CHECK(classify_exit(e).reason == ExitReason::oom_kill_global);
}

TEST_CASE("classification: a bare SIGKILL waits for evidence and is then a signal death") {
    ExitEvidence e = killed(SIGKILL);
    CHECK(needs_more_evidence(e));
    CHECK(classify_exit(e).reason == ExitReason::signal);
    e.stop_requested = true;
    CHECK_FALSE(needs_more_evidence(e));
}

TEST_CASE("classification: V8 heap exhaustion needs SIGABRT (or exit code 134) and the message") {
    ExitEvidence e = killed(SIGABRT);
    CHECK(classify_exit(e).reason == ExitReason::signal);
    e.heap_oom_on_stderr = true;
    CHECK(classify_exit(e).reason == ExitReason::v8_heap_oom);
    ExitEvidence shell;
    shell.status.code = 134;
    shell.heap_oom_on_stderr = true;
    CHECK(classify_exit(shell).reason == ExitReason::v8_heap_oom);
    ExitEvidence exit1;
    exit1.status.code = 1;
    exit1.heap_oom_on_stderr = true;
    CHECK(classify_exit(exit1).reason == ExitReason::exit_code);
    CHECK_FALSE(needs_more_evidence(e));
    ExitEvidence early = killed(SIGABRT);
    early.stderr_open = true;  // the message may still be in the pipe
    CHECK(needs_more_evidence(early));
    early.heap_oom_on_stderr = true;
    CHECK_FALSE(needs_more_evidence(early));
}

TEST_CASE("classification: corral's own kills carry their measurement first") {
    ExitEvidence thrash = killed(SIGKILL);
    thrash.thrashing = "memory pressure (full) above 50% for 10.0s";
    CHECK(classify_exit(thrash).reason == ExitReason::thrashing);
    CHECK(classify_exit(thrash).evidence.front() == "memory pressure (full) above 50% for 10.0s");
    CHECK_FALSE(needs_more_evidence(thrash));
    ExitEvidence limit = killed(SIGTERM);
    limit.memory_limit = "memory 460MiB reached memory.restart_at 450MiB";
    CHECK(classify_exit(limit).reason == ExitReason::memory_limit);
    ExitEvidence hung = killed(SIGKILL);
    hung.hung = {"event loop blocked for 10.0s (no runtime report since 2026-12-07T23:10:01.123Z)",
                 "JavaScript stack taken 150ms after the request (javascript-stack.json)"};
    CHECK(classify_exit(hung).reason == ExitReason::hung);
    CHECK(classify_exit(hung).evidence == std::vector<std::string>{hung.hung[0], hung.hung[1], "killed by SIGKILL"});
    CHECK_FALSE(needs_more_evidence(hung));
    CHECK(to_string(ExitReason::hung) == "hung");
    CHECK(exit_reason_from("hung") == ExitReason::hung);
}

TEST_CASE("classification: plain exits and signals") {
    ExitEvidence code;
    code.status.code = 3;
    CHECK(classify_exit(code).reason == ExitReason::exit_code);
    CHECK(classify_exit(killed(SIGSEGV)).reason == ExitReason::signal);
    CHECK(to_string(ExitReason::oom_kill_global) == "oom-kill-global");
    CHECK(to_string(ExitReason::v8_heap_oom) == "v8-heap-oom");
}

TEST_CASE("post-mortems: every death except a clean requested stop") {
    ExitEvidence crash;
    crash.status.code = 1;
    CHECK(wants_postmortem(crash));
    ExitEvidence stop = killed(SIGTERM);
    stop.stop_requested = true;
    CHECK_FALSE(wants_postmortem(stop));
    stop.oom_kills_after = 1;  // another process of the group was OOM-killed: the stop itself was clean
    CHECK_FALSE(wants_postmortem(stop));
    ExitEvidence oom_while_stopping = killed(SIGKILL);
    oom_while_stopping.stop_requested = true;
    oom_while_stopping.oom_kills_after = 1;  // it was OOM-killed while stopping: that is worth a look
    CHECK(wants_postmortem(oom_while_stopping));
    ExitEvidence named = killed(SIGTERM);
    named.stop_requested = true;
    named.kernel_killed_line = "Killed process 4242 (node)";
    CHECK(wants_postmortem(named));
}

TEST_CASE("classification: an unexplained SIGKILL restarts before its evidence is in - an abort waits for its stderr") {
    ExitEvidence sigkill = killed(SIGKILL);
    CHECK(needs_more_evidence(sigkill));
    CHECK(restarts_before_evidence(sigkill));
    sigkill.oom_kills_after = 1;  // the evidence is in: nothing to wait for
    CHECK_FALSE(restarts_before_evidence(sigkill));
    ExitEvidence stopped = killed(SIGKILL);
    stopped.stop_requested = true;
    CHECK_FALSE(restarts_before_evidence(stopped));
    ExitEvidence aborted = killed(SIGABRT);
    aborted.stderr_open = true;
    CHECK(needs_more_evidence(aborted));
    CHECK_FALSE(restarts_before_evidence(aborted));
}
