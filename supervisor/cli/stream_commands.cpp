// logs and events: a reply, then (with logs --follow, and always with events) a stream of lines until the
// daemon closes the connection or the user presses Ctrl-C.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <set>

#include "supervisor/cli/client_commands.hpp"
#include "supervisor/cli/client_session.hpp"
#include "supervisor/cli/log_files.hpp"
#include "supervisor/cli/sparkline.hpp"
#include "supervisor/cli/stream_views.hpp"
#include "supervisor/config/units.hpp"
#include "supervisor/protocol/commands.hpp"

namespace corral::supervisor::cli {

namespace {

// How many instances `target` names, and the widest of their names, from a status reply; nullopt when
// the daemon would not say.
struct Matched {
    std::size_t count = 0;
    std::size_t width = 0;
};

std::optional<Matched> matching_instances(ControlClient& client, const protocol::Target& target) {
    auto reply = client.request(protocol::Status{});
    if (!reply || !reply->value("ok", false)) return std::nullopt;
    const Json& result = (*reply)["result"];
    if (!result.is_object() || !result.contains("instances") || !result["instances"].is_array()) return std::nullopt;
    Matched matched;
    for (const auto& instance : result["instances"]) {
        if (!target.service.empty() && text_of(instance, "service") != target.service) continue;
        ++matched.count;
        matched.width = std::max(matched.width, display_width(instance_name(instance)));
    }
    return matched;
}

// A stream line that is an error reply ({"ok":false,"error":...}) ends the stream: slow_client with a
// notice of its own. Returns true when `line` was one (and was reported).
bool stream_error(Session& session, const std::string& command, const Json& line) {
    const auto ok = line.find("ok");
    if (ok == line.end() || *ok == true) return false;
    Json error = line.contains("error") ? line["error"] : Json{{"code", "failed"}};
    if (text_of(error, "code") == "slow_client" && !session.options().json) {
        // The daemon's words are about the protocol; these say what happened and what to do.
        error = Json{{"code", "slow_client"},
                     {"message", "the daemon cut this follower: it read too slowly, and more than its share of the "
                                 "daemon's memory for " + command + " followers waited for it; run the command "
                                 "again (and read its output faster, e.g. not through a paused pager)"}};
    }
    session.fail_reply(error);
    return true;
}

// Reads events until the end of the stream; `each` prints one. The exit code.
template <typename Each>
int follow(Session& session, const std::string& command, Each&& each) {
    while (true) {
        auto line = session.client().read_event();
        if (!line) {
            session.fail(line.error());
            return session.exit_code();
        }
        if (!*line) return kExitOk;  // the daemon closed the stream
        const Json& json = **line;
        if (stream_error(session, command, json)) return session.exit_code();
        const auto event = json.find("event");
        if (event != json.end()) each(*event);
    }
}

// --since: a duration back from now ("10m") or a UTC time ("2026-12-07T10:00:00Z"), as unix ms.
std::optional<std::int64_t> since_ms(const std::string& text) {
    if (const auto at = supervisor::parse_iso_utc(text)) return at;
    const auto back = config::parse_duration(text);
    if (!back) return std::nullopt;
    const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::system_clock::now().time_since_epoch());
    return (now - std::chrono::duration_cast<std::chrono::milliseconds>(*back)).count();
}

}  // namespace

int logs_command(const ClientOptions& options, const LogsOptions& logs) {
    const auto target = read_target("logs", logs.target);
    if (!target) return kExitUsage;
    std::optional<std::int64_t> since;
    if (!logs.since.empty() && !(since = since_ms(logs.since))) {
        std::fprintf(stderr,
                     "corral logs: --since \"%s\" is neither a duration (such as 10m) nor a UTC time (such as "
                     "2026-12-07T10:00:00Z)\n",
                     logs.since.c_str());
        return kExitUsage;
    }
    Session session(options, "logs");
    if (!session.connect(true)) {
        if (!session.no_daemon()) return session.exit_code();
        // Neither a daemon nor any log there: nothing was ever run with this state directory.
        std::error_code ec;
        if (!std::filesystem::is_directory(options.socket.parent_path() / "logs", ec)) {
            session.report_no_daemon();
            return session.exit_code();
        }
        return logs_from_files(options, logs, *target, {static_cast<unsigned>(logs.lines), since});
    }

    LogsView view;
    view.clean = options.terminal;
    view.style = Style{options.color};
    if (!target->index && !options.json) {
        const auto matched = matching_instances(session.client(), *target);
        view.prefix = !matched || matched->count > 1;
        if (matched) view.prefix_width = matched->width;
    }
    std::set<std::string> seen;
    const auto print_line = [&](const Json& line) {
        if (options.json) return print(line.dump() + "\n");
        // An instance that was not there when the command started (a scale-up): names from now on.
        const std::string name = text_of(line, "instance");
        seen.insert(name);
        if (!target->index && seen.size() > 1) view.prefix = true;
        view.prefix_width = std::max(view.prefix_width, display_width(name));
        print(render_log_line(line, view));
    };

    const auto result =
        session.call(protocol::Logs{*target, static_cast<unsigned>(logs.lines), logs.stream, logs.follow, since});
    if (!result) return session.exit_code();
    if (options.json && !logs.follow) {
        print_json(*result);
        return kExitOk;
    }
    const Json lines = result->is_object() && result->contains("lines") ? (*result)["lines"] : Json::array();
    if (!options.json && !target->index && lines.is_array()) {
        for (const auto& line : lines) seen.insert(text_of(line, "instance"));
        if (seen.size() > 1) view.prefix = true;
    }
    if (lines.is_array()) {
        for (const auto& line : lines) print_line(line);
    }
    if (!logs.follow) return kExitOk;
    return follow(session, "logs", print_line);
}

int events_command(const ClientOptions& options) {
    Session session(options, "events");
    if (!session.connect()) return session.exit_code();
    if (!session.call(protocol::Events{})) return session.exit_code();
    const EventsView view{false, Style{options.color}};
    return follow(session, "events", [&](const Json& event) {
        print(options.json ? event.dump() + "\n" : render_event(event, view));
    });
}

}  // namespace corral::supervisor::cli
