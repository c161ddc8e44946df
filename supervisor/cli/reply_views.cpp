#include "supervisor/cli/reply_views.hpp"

#include <algorithm>

#include "supervisor/cli/postmortem_text.hpp"

namespace corral::supervisor::cli {

namespace {

// A JSON value in a line of text: strings without quotes.
std::string plain(const Json& value) {
    return clean_line(value.is_string() ? value.get<std::string>() : value.dump());
}

std::string joined(const Json& list) {
    std::string text;
    if (!list.is_array()) return text;
    for (const auto& item : list) text += (text.empty() ? "" : ", ") + plain(item);
    return text;
}

}  // namespace

std::string render_instances(std::string_view cmd, const Json& result, std::string_view signal) {
    const Json& instances = result.is_object() && result.contains("instances") ? result["instances"] : Json::array();
    const std::string names = joined(instances);
    if (cmd == "signal") {
        return names.empty() ? "no instance to send " + std::string(signal) + " to\n"
                             : "sent " + std::string(signal) + " to " + names + "\n";
    }
    const std::string verb = cmd == "start" ? "starting" : cmd == "stop" ? "stopping" : "restarting";
    if (names.empty()) return "nothing to " + std::string(cmd) + "\n";
    // Those that were there already (start of a running one, stop of a stopped one) are said apart.
    const Json none = Json::array();
    const Json& already = result.contains("already") && result["already"].is_array() ? result["already"] : none;
    std::string acted, text;
    for (const auto& instance : instances) {
        const bool there = std::find(already.begin(), already.end(), instance) != already.end();
        if (!there) acted += (acted.empty() ? "" : ", ") + plain(instance);
        if (there) text += plain(instance) + (cmd == "start" ? " is already running\n" : " is already stopped\n");
    }
    return (acted.empty() ? std::string() : verb + " " + acted + "\n") + text;
}

std::string render_cooling(const Json& result) {
    std::string text;
    const Json none = Json::array();
    for (const auto& change : result.is_object() && result.contains("instances") ? result["instances"] : none) {
        const std::string name = clean_line(text_of(change, "instance", "?"));
        const bool cooling = change.value("cooling", false);
        if (change.value("already", false)) {
            text += name + (cooling ? " is already cooling" : " is not cooling") + "\n";
            continue;
        }
        text += name + ": " + (cooling ? "cooling" : "working") + " (" + clean_line(text_of(change, "reason")) + ")\n";
    }
    for (const auto& name : result.is_object() && result.contains("not_running") ? result["not_running"] : none) {
        text += plain(name) + ": not running\n";
    }
    return text;
}

std::string render_reload(const Json& result) {
    const Json empty = Json::array();
    const Json& changes = result.is_object() && result.contains("changes") && result["changes"].is_array()
                              ? result["changes"]
                              : empty;
    std::string out;
    if (changes.empty()) {
        out = "reloaded: no changes\n";
    } else {
        out = "reloaded: " + std::to_string(changes.size()) + (changes.size() == 1 ? " change\n" : " changes\n");
        std::vector<Row> rows;
        for (const auto& change : changes) {
            std::string action = text_of(change, "action", "?");
            std::string extra;
            if (change.is_object()) {
                for (const auto& [key, value] : change.items()) {
                    if (key == "service" || key == "action") continue;
                    extra += (extra.empty() ? "" : ", ") + key + ": " + plain(value);
                }
            }
            if (!extra.empty()) action += " (" + extra + ")";
            rows.push_back({"", text_of(change, "service", "?"), action});
        }
        std::string table = render_table({"", "", ""}, rows, [](int, std::size_t, const std::string& cell) { return cell; });
        out += table.substr(table.find('\n') + 1);  // without the empty header
    }
    if (result.is_object() && result.contains("warnings") && result["warnings"].is_array()) {
        for (const auto& warning : result["warnings"]) out += "warning: " + plain(warning) + "\n";
    }
    return out;
}

std::string render_error(std::string_view cmd, const Json& error) {
    std::string out;
    const auto details = error.is_object() ? error.find("details") : error.end();
    if (error.is_object() && details != error.end()) {
        if (details->is_array()) {
            for (const auto& detail : *details) out += plain(detail) + "\n";
        } else if (!details->is_null()) {
            out += plain(*details) + "\n";
        }
    }
    std::string message = text_of(error, "message");
    if (message.empty()) message = text_of(error, "code", "the daemon refused the request");
    return out + "corral " + std::string(cmd) + ": " + clean_line(message) + "\n";
}

}  // namespace corral::supervisor::cli
