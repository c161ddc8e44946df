#include "policies/restart_mode.hpp"

#include <doctest/doctest.h>

#include "policies/signal_names.hpp"

using namespace corral::policies;

TEST_CASE("restart mode: which exits are restarted") {
    const ExitStatus clean{0, 0, false};
    const ExitStatus failed{1, 0, false};
    const ExitStatus killed{0, 9, false};
    const ExitStatus not_started{0, 0, true};
    struct Row {
        RestartMode mode;
        bool clean, failed, killed, not_started;
    };
    for (const Row row : {Row{RestartMode::always, true, true, true, true},
                          Row{RestartMode::on_failure, false, true, true, true},
                          Row{RestartMode::never, false, false, false, false}}) {
        CAPTURE(to_string(row.mode));
        CHECK(wants_restart(row.mode, clean) == row.clean);
        CHECK(wants_restart(row.mode, failed) == row.failed);
        CHECK(wants_restart(row.mode, killed) == row.killed);
        CHECK(wants_restart(row.mode, not_started) == row.not_started);
    }
}

TEST_CASE("restart mode: names round-trip and unknown names are refused") {
    for (const auto mode : {RestartMode::always, RestartMode::on_failure, RestartMode::never}) {
        CHECK(restart_mode_from(to_string(mode)) == mode);
    }
    CHECK_FALSE(restart_mode_from("on_failure").has_value());
    CHECK_FALSE(restart_mode_from("Always").has_value());
    CHECK_FALSE(restart_mode_from("").has_value());
}

TEST_CASE("exit status descriptions") {
    CHECK(describe({1, 0, false}) == "exited with code 1");
    CHECK(describe({0, 9, false}) == "killed by SIGKILL");
    CHECK(describe({0, 0, true}) == "could not be started");
}

TEST_CASE("signal names") {
    CHECK(signal_name(15) == "SIGTERM");
    CHECK(signal_name(2) == "SIGINT");
    CHECK(signal_name(63) == "signal 63");
    CHECK(signal_from_name("SIGTERM") == 15);
    CHECK(signal_from_name("TERM") == 15);
    CHECK(signal_from_name("15") == 15);
    CHECK(signal_from_name("SIGUSR2") == 12);
    CHECK_FALSE(signal_from_name("SIGFOO").has_value());
    CHECK_FALSE(signal_from_name("sigterm").has_value());
    CHECK_FALSE(signal_from_name("0").has_value());
    CHECK_FALSE(signal_from_name("99").has_value());
    CHECK_FALSE(signal_from_name("").has_value());
}
