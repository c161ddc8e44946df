#include "supervisor/cli/help_command.hpp"

#include <cstdio>
#include <vector>

#include "base/exit_codes.hpp"
#include "supervisor/config/closest_key.hpp"

namespace corral::supervisor::cli {

namespace {

constexpr const char* kProgram = "corral";

std::vector<std::string> command_names(const CLI::App& app) {
    std::vector<std::string> names;
    for (const CLI::App* command : app.get_subcommands([](const CLI::App*) { return true; })) {
        names.push_back(command->get_name());
    }
    return names;
}

std::vector<std::string_view> views_of(const std::vector<std::string>& names) {
    return {names.begin(), names.end()};
}

// "--json", "-c", "--config" of every option `command` takes.
std::vector<std::string> option_names(const CLI::App& command) {
    std::vector<std::string> names;
    for (const CLI::Option* option : command.get_options()) {
        for (const std::string& name : option->get_lnames()) names.push_back("--" + name);
        for (const std::string& name : option->get_snames()) names.push_back("-" + name);
    }
    return names;
}

// The command the arguments went to: the deepest one parsed (the app itself when none was).
CLI::App& deepest_parsed(CLI::App& app) {
    for (CLI::App* command : app.get_subcommands()) {
        if (command->parsed()) return deepest_parsed(*command);
    }
    return app;
}

void say(const std::string& text) { std::fputs(text.c_str(), stderr); }

// What `corral COMMAND --help` prints (`command` the app itself: `corral --help`), also once a command
// was parsed (App::help() would explain the parsed one).
std::string help_of(const CLI::App& app, const CLI::App& command) {
    const std::string usage = &command == &app ? std::string(kProgram) : std::string(kProgram) + " " + command.get_name();
    return command.get_formatter()->make_help(&command, usage, CLI::AppFormatMode::Normal);
}

}  // namespace

std::string unknown_message(std::string_view who, std::string_view what, std::string_view name,
                            std::span<const std::string_view> known) {
    std::string text = std::string(who) + ": unknown " + std::string(what) + " \"" + std::string(name) + "\"";
    if (const auto closest = config::closest_key(name, known)) text += "; did you mean \"" + *closest + "\"?";
    const std::string help = who == kProgram ? std::string("corral help") : "corral help " + std::string(who.substr(7));
    return text + " (" + help + " lists every " + std::string(what) + ")\n";
}

HelpCli::HelpCli(CLI::App& app) : app_(app) {
    help_ = app.add_subcommand("help", "Show the commands, or one command's options: corral help [COMMAND]");
    help_->add_option("command", command_, "The command to explain");
}

int HelpCli::run() const {
    if (command_.empty()) {
        std::fputs(help_of(app_, app_).c_str(), stdout);
        return kExitOk;
    }
    const auto names = command_names(app_);
    for (const CLI::App* command : app_.get_subcommands([](const CLI::App*) { return true; })) {
        if (command->get_name() != command_) continue;
        std::fputs(help_of(app_, *command).c_str(), stdout);
        return kExitOk;
    }
    say(unknown_message(kProgram, "command", command_, views_of(names)));
    return kExitUsage;
}

std::optional<int> check_command_name(const CLI::App& app, int argc, char** argv) {
    if (argc < 2) {
        say(help_of(app, app));
        return kExitUsage;
    }
    const std::string_view first = argv[1];
    if (first.starts_with("-")) return std::nullopt;
    const auto names = command_names(app);
    for (const std::string& name : names) {
        if (name == first) return std::nullopt;
    }
    say(unknown_message(kProgram, "command", first, views_of(names)));
    return kExitUsage;
}

int report_parse_error(CLI::App& app, const CLI::ParseError& error) {
    if (dynamic_cast<const CLI::ExtrasError*>(&error) != nullptr) {
        CLI::App& command = deepest_parsed(app);
        const std::string who = &command == &app ? std::string(kProgram) : std::string(kProgram) + " " + command.get_name();
        for (std::string extra : command.remaining(false)) {
            if (!extra.starts_with("-")) {
                say(who + ": unexpected argument \"" + extra + "\" (see " +
                    (&command == &app ? std::string("corral help") : "corral help " + command.get_name()) + ")\n");
                return kExitUsage;
            }
            if (const auto equals = extra.find('='); equals != std::string::npos) extra.resize(equals);
            const auto names = option_names(command);
            say(unknown_message(who, "option", extra, views_of(names)));
            return kExitUsage;
        }
    }
    return app.exit(error) == 0 ? kExitOk : kExitUsage;
}

}  // namespace corral::supervisor::cli
