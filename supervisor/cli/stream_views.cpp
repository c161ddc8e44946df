#include "supervisor/cli/stream_views.hpp"

#include "supervisor/cli/sparkline.hpp"

namespace corral::supervisor::cli {

std::string render_log_line(const Json& line, const LogsView& view) {
    const std::string raw = text_of(line, "line");
    const std::string text = view.clean ? clean_line(raw) : raw;
    const bool err = text_of(line, "stream") == "err";
    if (!view.prefix) return (err ? view.style.red(text) : text) + "\n";
    const std::string name = text_of(line, "instance", "?");
    const std::size_t width = display_width(name);
    const std::string prefix =
        name + std::string(view.prefix_width > width ? view.prefix_width - width : 0, ' ') + (err ? " !" : " |");
    return (err ? view.style.red(prefix) : view.style.dim(prefix)) + " " + text + "\n";
}

std::string render_event(const Json& event, const EventsView& view) {
    std::string out;
    const auto time = event.is_object() && event.contains("time") ? time_of(event["time"]) : std::nullopt;
    if (time) out += view.style.dim(clock_time(*time, view.utc)) + " ";
    const std::string instance = text_of(event, "instance");
    if (!instance.empty()) out += view.style.bold(instance) + " ";
    const std::string from = text_of(event, "from");
    const std::string to = text_of(event, "to");
    if (!from.empty() || !to.empty()) {
        out += (from.empty() ? "?" : from) + " -> " + paint_state(view.style, to.empty() ? "?" : to);
        const std::string reason = text_of(event, "reason");
        if (!reason.empty()) out += ": " + clean_line(reason);
        return out + "\n";
    }
    Json rest = event.is_object() ? event : Json::object();
    rest.erase("time");
    rest.erase("instance");
    return out + clean_line(rest.dump()) + "\n";
}

}  // namespace corral::supervisor::cli
