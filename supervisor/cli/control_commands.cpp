// status, start, stop, restart, signal, cool, heat, reload, shutdown: one request, one reply, one answer
// printed; start, stop, restart, signal and reload wait for their result unless told not to
// (wait_commands.cpp).
#include <cstdio>
#include <functional>
#include <thread>

#include "policies/signal_names.hpp"
#include "supervisor/cli/client_commands.hpp"
#include "supervisor/cli/client_session.hpp"
#include "supervisor/cli/reply_views.hpp"
#include "supervisor/cli/socket_path.hpp"
#include "supervisor/cli/status_view.hpp"
#include "supervisor/cli/wait_commands.hpp"
#include "supervisor/config/units.hpp"

namespace corral::supervisor::cli {

namespace {

using namespace std::chrono_literals;

constexpr auto kShutdownWait = 60s;

// Sends `command` and prints its result: as it came with --json, else as `render` words it. The exit code.
int answer_once(const ClientOptions& options, const protocol::Command& command,
                const std::function<std::string(const Json&)>& render) {
    Session session(options, std::string(protocol::name_of(command)));
    if (!session.connect()) return session.exit_code();
    const auto result = session.call(command);
    if (!result) return session.exit_code();
    options.json ? print_json(*result) : print(render(*result));
    return kExitOk;
}

}  // namespace

int status_command(const ClientOptions& options, const std::string& target_text) {
    protocol::Status status;
    if (!target_text.empty()) {
        status.target = read_target("status", target_text);
        if (!status.target) return kExitUsage;
    }
    return answer_once(options, status, [&](const Json& result) {
        return render_status(result, StatusView{Style{options.color}, WallClock::now()});
    });
}

template <typename Command>
int target_command(const ClientOptions& options, const std::string& target_text, const WaitOptions& wait) {
    const auto target = read_target(Command::name, target_text);
    if (!target) return kExitUsage;
    if (wait.no_wait) {
        return answer_once(options, Command{*target},
                           [](const Json& result) { return render_instances(Command::name, result); });
    }
    int exit_code = kExitOk;
    const auto timeout = read_timeout(Command::name, wait.timeout, exit_code);
    if (exit_code != kExitOk) return exit_code;
    return wait_for_result(options, Command{*target, true, timeout});
}
template int target_command<protocol::Start>(const ClientOptions&, const std::string&, const WaitOptions&);
template int target_command<protocol::Stop>(const ClientOptions&, const std::string&, const WaitOptions&);
template int target_command<protocol::Restart>(const ClientOptions&, const std::string&, const WaitOptions&);

int signal_command(const ClientOptions& options, const std::string& target_text, const std::string& signal,
                   bool no_wait) {
    const auto target = read_target("signal", target_text);
    if (!target) return kExitUsage;
    const auto number = policies::signal_from_name(signal);
    if (!number) {
        std::fprintf(stderr, "corral signal: unknown signal \"%s\" (a name such as SIGUSR2 or USR2, or a number)\n",
                     signal.c_str());
        return kExitUsage;
    }
    const bool numeric = signal.find_first_not_of("0123456789") == std::string::npos;
    const protocol::SignalArg sent{*number, numeric ? std::nullopt : std::optional<std::string>(signal)};
    if (!no_wait) return wait_for_result(options, protocol::Signal{*target, sent, true}, policies::signal_name(*number));
    return answer_once(options, protocol::Signal{*target, sent}, [&](const Json& result) {
        return render_instances("signal", result, policies::signal_name(*number));
    });
}

int cool_command(const ClientOptions& options, const std::string& target_text, const std::string& for_text) {
    const auto target = read_target("cool", target_text);
    if (!target) return kExitUsage;
    protocol::Cool cool{*target, std::nullopt};
    if (!for_text.empty()) {
        const auto duration = config::parse_duration(for_text);
        if (!duration || duration->count() < 1 || duration->count() > protocol::kMostCoolMs) {
            std::fprintf(stderr, "corral cool: --for \"%s\" is not a duration from 1ms to 24h (such as 90s or 5m)\n",
                         for_text.c_str());
            return kExitUsage;
        }
        cool.duration = std::chrono::milliseconds(duration->count());
    }
    return answer_once(options, cool, render_cooling);
}

int heat_command(const ClientOptions& options, const std::string& target_text) {
    const auto target = read_target("heat", target_text);
    if (!target) return kExitUsage;
    return answer_once(options, protocol::Heat{*target}, render_cooling);
}

int reload_command(const ClientOptions& options, const std::string& service, const WaitOptions& wait) {
    std::optional<protocol::Target> target;
    if (!service.empty()) {
        target = read_target("reload", service);
        if (!target) return kExitUsage;
    }
    if (wait.no_wait) return answer_once(options, protocol::Reload{std::nullopt, std::nullopt, target}, render_reload);
    int exit_code = kExitOk;
    const auto timeout = read_timeout("reload", wait.timeout, exit_code);
    if (exit_code != kExitOk) return exit_code;
    return wait_for_result(options, protocol::Reload{true, timeout, target});
}

// Asks the daemon to stop, then waits until it has closed this connection and nothing answers on its
// socket any more: by then it has stopped every service and exited.
int shutdown_command(const ClientOptions& options) {
    Session session(options, "shutdown");
    if (!session.connect()) return session.exit_code();
    const auto result = session.call(protocol::Shutdown{});
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
