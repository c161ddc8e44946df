#pragma once
// `corral delete NAME...` and `corral save [FILE]` on the command line (adhoc_commands.hpp,
// save_command.hpp), with the client options every command that talks to the daemon takes.
#include <functional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "supervisor/cli/client_commands.hpp"
#include "supervisor/cli/save_command.hpp"

namespace corral::supervisor::cli {

class AdhocCli {
public:
    explicit AdhocCli(CLI::App& app);
    AdhocCli(const AdhocCli&) = delete;
    AdhocCli& operator=(const AdhocCli&) = delete;

    bool parsed() const { return delete_.app->parsed() || save_.app->parsed(); }
    int run() const;

private:
    struct Common {
        CLI::App* app = nullptr;
        bool json = false;
        std::string socket;
        std::string config;
    };
    static CLI::App* add(CLI::App& app, Common& common, const char* name, const char* description);
    int run(const Common& common, const std::function<int(const ClientOptions&)>& command) const;

    Common delete_, save_;
    std::vector<std::string> names_;
    WaitOptions delete_wait_;
    std::string save_file_;
    bool save_force_ = false;
};

}  // namespace corral::supervisor::cli
