#include "supervisor/cli/routes_view.hpp"

#include <cmath>
#include <cstdint>
#include <vector>

#include "base/text_format.hpp"
#include "supervisor/cli/postmortem_text.hpp"

namespace corral::supervisor::cli {
namespace {

std::uint64_t count_of(const Json& object, std::string_view key) {
    if (!object.is_object()) return 0;
    const auto found = object.find(key);
    if (found == object.end() || !found->is_number()) return 0;
    if (found->is_number_unsigned()) return found->get<std::uint64_t>();
    const double value = found->get<double>();
    return value > 0 ? static_cast<std::uint64_t>(std::llround(value)) : 0;
}

bool flag_of(const Json& object, std::string_view key) {
    if (!object.is_object()) return false;
    const auto found = object.find(key);
    return found != object.end() && found->is_boolean() && found->get<bool>();
}

std::string queued_cell(const Json& destination) {
    const std::uint64_t messages = count_of(destination, "queued_messages");
    const std::uint64_t spilled = count_of(destination, "spilled_bytes");
    std::string cell = std::to_string(messages);
    if (messages > 0) {
        const std::uint64_t bytes = count_of(destination, "queued_bytes");
        const std::uint64_t in_memory = bytes > spilled ? bytes - spilled : 0;
        cell += ", " + format_size(in_memory);
        if (spilled > 0) cell += " + " + format_size(spilled) + " on disk";
    }
    if (flag_of(destination, "blocked")) cell += ", blocked";
    // What the previous daemon left: replayed at start, cut from a torn journal, lost in its crash.
    if (const std::uint64_t replayed = count_of(destination, "replayed"); replayed > 0) {
        cell += ", " + std::to_string(replayed) + " replayed";
    }
    if (const std::uint64_t torn = count_of(destination, "torn_bytes"); torn > 0) {
        cell += ", " + format_size(torn) + " torn";
    }
    if (const std::uint64_t lost = count_of(destination, "lost"); lost > 0) {
        cell += ", <= " + std::to_string(lost) + " lost in a crash";
    }
    return cell;
}

std::string channel_line(const Json& channel) {
    const std::string name = text_of(channel, "instance", "?");
    std::string dropped;
    for (const char* what : {"malformed", "unrouted", "internal"}) {
        const std::uint64_t count = count_of(channel, what);
        if (count > 0) dropped += (dropped.empty() ? "" : ", ") + std::to_string(count) + " " + what;
    }
    std::string line;
    if (!dropped.empty()) line = name + ": dropped " + dropped;
    if (flag_of(channel, "held")) {
        line += (line.empty() ? name + ": " : "; ") + std::string("held (cooling)");
    } else if (channel.is_object() && channel.contains("reading") && !flag_of(channel, "reading")) {
        line += (line.empty() ? name + ": " : "; ") + std::string("not read until its routes drain (queues full)");
    }
    return line;
}

}  // namespace

std::string render_routes(const Json& routes, const Json& channels, const Style& style) {
    if (!routes.is_array() || routes.empty()) return "";
    std::vector<Row> rows;
    std::vector<const Json*> cells_of;  // the destination of each row
    for (const auto& route : routes) {
        const std::string label = text_of(route, "from", "?") + " -> " + text_of(route, "to", "?");
        const auto destinations = route.is_object() ? route.find("destinations") : route.end();
        if (!route.is_object() || destinations == route.end() || !destinations->is_array() || destinations->empty()) {
            rows.push_back({label, "-", "-", "-", "-", "-"});
            cells_of.push_back(nullptr);
            continue;
        }
        bool first = true;
        for (const auto& destination : *destinations) {
            rows.push_back({first ? label : "", text_of(destination, "instance", "?"),
                            std::to_string(count_of(destination, "delivered")),
                            std::to_string(count_of(destination, "rate")) + "/s", queued_cell(destination),
                            std::to_string(count_of(destination, "dropped"))});
            cells_of.push_back(&destination);
            first = false;
        }
    }
    const auto paint = [&](int row, std::size_t column, const std::string& cell) -> std::string {
        if (row < 0) return style.bold(cell);
        const Json* destination = cells_of[static_cast<std::size_t>(row)];
        if (destination == nullptr) return cell;
        if (column == 4 && flag_of(*destination, "blocked")) {
            const auto at = cell.rfind(", blocked");
            return cell.substr(0, at) + ", " + style.red("blocked");
        }
        if (column == 5 && count_of(*destination, "dropped") > 0) return style.yellow(cell);
        return cell;
    };
    std::string out = render_table({"ROUTE", "TO", "DELIVERED", "RATE", "QUEUED", "DROPPED"}, rows, paint);
    std::string notes;
    if (channels.is_array()) {
        for (const auto& channel : channels) {
            const std::string line = channel_line(channel);
            if (!line.empty()) notes += line + "\n";
        }
    }
    return notes.empty() ? out : out + "\n" + notes;
}

}  // namespace corral::supervisor::cli
