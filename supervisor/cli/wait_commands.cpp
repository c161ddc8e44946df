#include "supervisor/cli/wait_commands.hpp"

#include <cstdio>

#include "supervisor/cli/client_session.hpp"
#include "supervisor/cli/reply_views.hpp"
#include "supervisor/cli/wait_views.hpp"
#include "supervisor/config/units.hpp"

namespace corral::supervisor::cli {

namespace {

// The error codes of a wait that was carried out and did not end where it was sent; their details are the
// result as it stood.
bool ended_elsewhere(const Json& error) {
    const std::string code = text_of(error, "code");
    return code == "wait_failed" || code == "timeout" || code == "not_running" || code == "shutting_down";
}

// An error reply: what did get there (from its details), then the daemon's reason. The exit code.
int report_failure(Session& session, std::string_view cmd, const Json& error, std::string_view signal) {
    const ClientOptions& options = session.options();
    if (options.json || !ended_elsewhere(error)) {
        session.fail_reply(error);
        return session.exit_code();
    }
    const auto details = error.find("details");
    if (details != error.end() && details->is_object() && details->contains("outcomes")) {
        print(render_waited(cmd, *details, signal));
    }
    Json shown = error;
    shown.erase("details");  // said above, line by line
    session.fail_reply(shown);
    return session.exit_code();
}

}  // namespace

std::optional<std::chrono::milliseconds> read_timeout(std::string_view cmd, const std::string& text, int& exit_code) {
    exit_code = kExitOk;
    if (text.empty()) return std::nullopt;
    const auto duration = config::parse_duration(text);
    if (!duration || duration->count() < 1 || duration->count() > protocol::kMostWaitMs) {
        std::fprintf(stderr, "corral %.*s: --timeout \"%s\" is not a duration from 1ms to 24h (such as 30s or 5m)\n",
                     static_cast<int>(cmd.size()), cmd.data(), text.c_str());
        exit_code = kExitUsage;
        return std::nullopt;
    }
    return std::chrono::milliseconds(duration->count());
}

int wait_for_result(const ClientOptions& options, const protocol::Command& command, std::string_view signal,
                    const std::function<std::string(const Json& result)>& done) {
    const std::string cmd(protocol::name_of(command));
    Session session(options, cmd);
    session.json_lines();
    if (!session.connect()) return session.exit_code();
    const Style style{options.color};
    auto reply = session.client().request_waiting(command, [&](const Json& event) {
        print(options.json ? event.dump() + "\n" : render_progress(event, style));
    });
    if (!reply) {
        session.fail(reply.error());
        return session.exit_code();
    }
    if (!reply->value("ok", false)) {
        const auto error = reply->find("error");
        return report_failure(session, cmd, error != reply->end() ? *error : Json{{"code", "failed"}}, signal);
    }
    const auto found = reply->find("result");
    const Json result = found != reply->end() ? *found : Json::object();
    if (options.json) {
        print(result.dump() + "\n");
    } else {
        print(render_waited(cmd, result, signal) + (done ? done(result) : std::string()));
    }
    return kExitOk;
}

}  // namespace corral::supervisor::cli
