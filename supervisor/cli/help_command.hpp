#pragma once
// `corral help [COMMAND]`, and what the command line says about a command or an option it does not know:
//   corral help               the list of commands (as corral --help)
//   corral help status        that command's own help (as corral status --help)
//   corral frobnicate         corral: unknown command "frobnicate" (see corral help), exit 2
//   corral stauts             corral: unknown command "stauts"; did you mean "status"?, exit 2
//   corral status --josn      corral status: unknown option "--josn"; did you mean "--json"?, exit 2
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <CLI/CLI.hpp>

namespace corral::supervisor::cli {

class HelpCli {
public:
    explicit HelpCli(CLI::App& app);
    HelpCli(const HelpCli&) = delete;
    HelpCli& operator=(const HelpCli&) = delete;

    bool parsed() const { return help_->parsed(); }
    // Prints the help asked for; the exit code (2 for a command that does not exist).
    int run() const;

private:
    CLI::App& app_;
    CLI::App* help_ = nullptr;
    std::string command_;
};

// Before parsing: when the first argument is neither an option nor a command of `app`, says so on stderr
// and returns the exit code (2); nullopt when it is fine.
std::optional<int> check_command_name(const CLI::App& app, int argc, char** argv);

// A parse error as the user reads it: an option that no command takes gets a did-you-mean. The exit code.
int report_parse_error(CLI::App& app, const CLI::ParseError& error);

// The words, for tests. `who`: "corral" or "corral status"; `what`: "command" or "option".
std::string unknown_message(std::string_view who, std::string_view what, std::string_view name,
                            std::span<const std::string_view> known);

}  // namespace corral::supervisor::cli
