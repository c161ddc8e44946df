// status, start, stop, restart, signal, reload, shutdown: one request, one reply, one answer printed.
#include <cstdio>
#include <thread>

#include "policies/signal_names.hpp"
#include "supervisor/cli/client_commands.hpp"
#include "supervisor/cli/client_session.hpp"
#include "supervisor/cli/reply_views.hpp"
#include "supervisor/cli/socket_path.hpp"
#include "supervisor/cli/status_view.hpp"
#include "supervisor/config/units.hpp"
#include "supervisor/protocol/control_protocol.hpp"

namespace corral::supervisor::cli {

namespace {

using namespace std::chrono_literals;

constexpr auto kShutdownWait = 60s;

bool valid_target(const std::string& cmd, const std::string& target) {
    std::string error;
    if (protocol::parse_target(target, error)) return true;
    std::fprintf(stderr, "corral %s: %s\n", cmd.c_str(),
                 error.empty() ? ("\"" + target + "\" is not a target (NAME, NAME#INDEX or all)").c_str()
                               : error.c_str());
    return false;
}

}  // namespace

int status_command(const ClientOptions& options) {
    Session session(options, "status");
    if (!session.connect()) return session.exit_code();
    const auto result = session.call("status");
    if (!result) return session.exit_code();
    if (options.json) {
        print_json(*result);
    } else {
        print(render_status(*result, StatusView{Style{options.color}, WallClock::now()}));
    }
    return kExitOk;
}

int target_command(const ClientOptions& options, const std::string& cmd, const std::string& target) {
    if (!valid_target(cmd, target)) return kExitUsage;
    Session session(options, cmd);
    if (!session.connect()) return session.exit_code();
    const auto result = session.call(cmd, {{"target", target}});
    if (!result) return session.exit_code();
    options.json ? print_json(*result) : print(render_instances(cmd, *result));
    return kExitOk;
}

int signal_command(const ClientOptions& options, const std::string& target, const std::string& signal) {
    if (!valid_target("signal", target)) return kExitUsage;
    const auto number = policies::signal_from_name(signal);
    if (!number) {
        std::fprintf(stderr, "corral signal: unknown signal \"%s\" (a name such as SIGUSR2 or USR2, or a number)\n",
                     signal.c_str());
        return kExitUsage;
    }
    const bool numeric = signal.find_first_not_of("0123456789") == std::string::npos;
    Session session(options, "signal");
    if (!session.connect()) return session.exit_code();
    const auto result =
        session.call("signal", {{"target", target}, {"signal", numeric ? nlohmann::json(*number) : nlohmann::json(signal)}});
    if (!result) return session.exit_code();
    options.json ? print_json(*result) : print(render_instances("signal", *result, policies::signal_name(*number)));
    return kExitOk;
}

int cooling_command(const ClientOptions& options, const std::string& cmd, const std::string& target,
                    const std::string& for_text) {
    if (!valid_target(cmd, target)) return kExitUsage;
    nlohmann::json args = {{"target", target}};
    if (!for_text.empty()) {
        const auto duration = config::parse_duration(for_text);
        if (!duration || duration->count() < 1 || duration->count() > protocol::kMostCoolMs) {
            std::fprintf(stderr, "corral cool: --for \"%s\" is not a duration from 1ms to 24h (such as 90s or 5m)\n",
                         for_text.c_str());
            return kExitUsage;
        }
        args["for_ms"] = duration->count();
    }
    Session session(options, cmd);
    if (!session.connect()) return session.exit_code();
    const auto result = session.call(cmd, args);
    if (!result) return session.exit_code();
    if (options.json) {
        print_json(*result);
        return kExitOk;
    }
    std::string text;
    for (const auto& change : (*result)["instances"]) {
        text += change.value("instance", "?") + ": " + (change.value("cooling", false) ? "cooling" : "working") + " (" +
                change.value("reason", "") + ")\n";
    }
    for (const auto& name : (*result)["not_running"]) text += name.get<std::string>() + ": not running\n";
    print(text);
    return kExitOk;
}

int reload_command(const ClientOptions& options) {
    Session session(options, "reload");
    if (!session.connect()) return session.exit_code();
    const auto result = session.call("reload");
    if (!result) return session.exit_code();
    options.json ? print_json(*result) : print(render_reload(*result));
    return kExitOk;
}

// Asks the daemon to stop, then waits until it has closed this connection and nothing answers on its
// socket any more: by then it has stopped every service and exited.
int shutdown_command(const ClientOptions& options) {
    Session session(options, "shutdown");
    if (!session.connect()) return session.exit_code();
    const auto result = session.call("shutdown");
    if (!result) return session.exit_code();

    const auto deadline = std::chrono::steady_clock::now() + kShutdownWait;
    const auto left = [&] {
        return std::max(std::chrono::milliseconds(0),
                        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()));
    };
    bool gone = false;
    while (left() > 0ms) {  // until the daemon closes the connection (or breaks it) on its way out
        auto line = session.client().read_event(left());
        if (!line || !*line) break;
    }
    while (left() > 0ms) {
        auto probe = ControlClient::connect(options.socket, std::min<std::chrono::milliseconds>(left(), 2s));
        if (!probe && probe.error().kind == ClientError::Kind::no_daemon) {
            gone = true;
            break;
        }
        std::this_thread::sleep_for(100ms);
    }
    if (!gone) {
        const std::string message = "the daemon at " + display_path(options.socket) + " is still running after " +
                                    std::to_string(kShutdownWait.count()) + "s";
        if (options.json) {
            print_json(Json{{"error", Json{{"code", "timeout"}, {"message", message}}}});
        } else {
            std::fprintf(stderr, "corral shutdown: %s\n", message.c_str());
        }
        return kExitFailed;
    }
    options.json ? print_json(*result) : print("corral stopped\n");
    return kExitOk;
}

}  // namespace corral::supervisor::cli
