#include "supervisor/registry/entry.hpp"

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace corral::registry {

using Json = nlohmann::json;

std::string entry_to_json(const Entry& entry) {
    const Json json = {
        {"pid", entry.pid},
        {"pid_start", entry.pid_start},
        {"socket", entry.socket.string()},
        {"service_file", entry.service_file.empty() ? Json(nullptr) : Json(entry.service_file.string())},
        {"state_dir", entry.state_dir.string()},
        {"version", entry.version},
        {"started_at_ms", entry.started_at_ms},
    };
    return json.dump() + "\n";
}

std::optional<Entry> entry_from_json(const std::string& text, std::string& error) {
    const Json json = Json::parse(text, nullptr, false);
    if (!json.is_object()) {
        error = "not a JSON object";
        return std::nullopt;
    }
    Entry entry;
    const auto field = [&](const char* key, Json::value_t type, auto& out) {
        const auto found = json.find(key);
        const bool number = type == Json::value_t::number_unsigned;
        if (found == json.end() || (number ? !found->is_number_unsigned() : found->type() != type)) {
            if (error.empty()) error = std::string("no valid \"") + key + "\"";
            return;
        }
        out = found->get<std::remove_reference_t<decltype(out)>>();
    };
    std::string socket, state_dir;
    field("pid", Json::value_t::number_unsigned, entry.pid);
    field("pid_start", Json::value_t::number_unsigned, entry.pid_start);
    field("socket", Json::value_t::string, socket);
    field("state_dir", Json::value_t::string, state_dir);
    field("version", Json::value_t::string, entry.version);
    field("started_at_ms", Json::value_t::number_unsigned, entry.started_at_ms);
    const auto file = json.find("service_file");
    if (file != json.end() && file->is_string()) entry.service_file = file->get<std::string>();
    if (!error.empty()) return std::nullopt;
    if (entry.pid <= 0 || socket.empty()) {
        error = "no pid or no socket";
        return std::nullopt;
    }
    entry.socket = socket;
    entry.state_dir = state_dir;
    return entry;
}

std::optional<std::uint64_t> start_time_of_stat(const std::string& stat_line) {
    const auto close = stat_line.rfind(')');
    if (close == std::string::npos) return std::nullopt;
    std::istringstream fields(stat_line.substr(close + 1));
    std::string field;
    char state = 0;
    if (!(fields >> state) || state == 'Z' || state == 'X') return std::nullopt;  // gone, not yet reaped
    // After the command come field 3 (state), then 4 ... 22 (starttime).
    for (int i = 4; i <= 22; ++i) {
        if (!(fields >> field)) return std::nullopt;
    }
    if (field.empty() || field.size() > 19 || field.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
    return std::stoull(field);
}

std::optional<std::uint64_t> process_start_time(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!std::getline(in, line)) return std::nullopt;
    return start_time_of_stat(line);
}

}  // namespace corral::registry
