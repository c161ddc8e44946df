#include "supervisor/cli/wait_views.hpp"

#include "base/text_format.hpp"
#include "supervisor/cli/reply_views.hpp"

namespace corral::supervisor::cli {

namespace {

std::string with_pid(std::string text, const Json& outcome) {
    const auto pid = outcome.find("pid");
    if (pid != outcome.end() && pid->is_number_integer()) text += " (pid " + std::to_string(pid->get<long long>()) + ")";
    return text;
}

std::string render_heartbeat(const Json& event) {
    std::string pending;
    for (const auto& item : event["waiting"]) {
        pending += (pending.empty() ? "" : ", ") + clean_line(text_of(item, "instance", "?")) + " (" +
                   clean_line(text_of(item, "state", "?")) + ")";
    }
    std::string line = "still waiting for " + (pending.empty() ? std::string("the daemon") : pending);
    const auto elapsed = event.find("elapsed_ms");
    if (elapsed != event.end() && elapsed->is_number_integer()) {
        line += ", " + format_period(std::chrono::milliseconds(elapsed->get<long long>())) + " so far";
    }
    return line + "\n";
}

}  // namespace

std::string render_progress(const Json& event, const Style& style) {
    if (!event.is_object()) return clean_line(event.dump()) + "\n";
    if (event.contains("waiting") && event["waiting"].is_array()) return render_heartbeat(event);
    const std::string to = text_of(event, "to", "?");
    std::string line = clean_line(text_of(event, "instance", "?")) + ": " + clean_line(text_of(event, "from", "?")) +
                       " -> " + paint_state(style, clean_line(to));
    const std::string reason = text_of(event, "reason");
    if (!reason.empty()) line += ": " + clean_line(reason);
    return line + "\n";
}

std::string render_outcomes(std::string_view cmd, const Json& result, std::string_view signal) {
    if (!result.is_object() || !result.contains("outcomes") || !result["outcomes"].is_array()) {
        return render_instances(cmd, result, signal);
    }
    std::string text;
    for (const auto& outcome : result["outcomes"]) {
        const std::string name = clean_line(text_of(outcome, "instance", "?"));
        const std::string state = clean_line(text_of(outcome, "state", "?"));
        const std::string what = text_of(outcome, "result");
        if (what == "already") {
            text += with_pid(name + " is already " + state, outcome) + "\n";
        } else if (what == "done") {
            text += with_pid(name + ": " + state, outcome) + "\n";
        } else if (what == "signalled") {
            text += name + ": sent " + std::string(signal) + " to pid " +
                    (outcome.contains("pid") ? clean_line(outcome["pid"].dump()) : std::string("?")) + "\n";
        }
    }
    return text;
}

std::string render_waited(std::string_view cmd, const Json& result, std::string_view signal) {
    if (cmd != "reload") return render_outcomes(cmd, result, signal);
    const bool outcomes = result.is_object() && result.contains("outcomes");
    return render_reload(result) + (outcomes ? render_outcomes(cmd, result) : std::string());
}

}  // namespace corral::supervisor::cli
