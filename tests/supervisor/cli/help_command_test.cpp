// What corral says of a command or an option it does not know.
#include <doctest/doctest.h>

#include <string_view>
#include <vector>

#include "supervisor/cli/help_command.hpp"

using namespace corral::supervisor::cli;

TEST_CASE("help: an unknown command gets a did-you-mean when one is close") {
    const std::vector<std::string_view> commands{"up", "run", "status", "start", "stop", "describe", "help"};
    CHECK(unknown_message("corral", "command", "stauts", commands) ==
          "corral: unknown command \"stauts\"; did you mean \"status\"? (corral help lists every command)\n");
    CHECK(unknown_message("corral", "command", "describ", commands) ==
          "corral: unknown command \"describ\"; did you mean \"describe\"? (corral help lists every command)\n");
    CHECK(unknown_message("corral", "command", "frobnicate", commands) ==
          "corral: unknown command \"frobnicate\" (corral help lists every command)\n");
}

TEST_CASE("help: an unknown option names the command it was given to") {
    const std::vector<std::string_view> options{"--json", "--socket", "-c", "--config"};
    CHECK(unknown_message("corral status", "option", "--josn", options) ==
          "corral status: unknown option \"--josn\"; did you mean \"--json\"? (corral help status lists every option)\n");
    CHECK(unknown_message("corral status", "option", "--verbose", options) ==
          "corral status: unknown option \"--verbose\" (corral help status lists every option)\n");
}
