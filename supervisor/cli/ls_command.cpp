#include "supervisor/cli/ls_command.hpp"

#include <unistd.h>

#include <chrono>

#include "base/exit_codes.hpp"
#include "base/text_format.hpp"
#include "supervisor/cli/client_session.hpp"
#include "supervisor/cli/control_client.hpp"
#include "supervisor/cli/view_text.hpp"
#include "supervisor/registry/registry.hpp"
#include "supervisor/registry/runtime_dir.hpp"

namespace corral::supervisor::cli {

namespace {

using namespace std::chrono_literals;
constexpr auto kAnswerTimeout = 5s;  // a daemon that takes longer is listed as not answering

struct Listed {
    registry::Entry entry;
    std::optional<Json> status;  // the daemon's status result
    std::string error;           // why there is none
};

Listed ask(const registry::Entry& entry) {
    Listed listed{entry, std::nullopt, {}};
    auto client = ControlClient::connect(entry.socket, kAnswerTimeout);
    if (!client) {
        listed.error = client.error().message;
        return listed;
    }
    auto reply = client->request(protocol::Status{}, kAnswerTimeout);
    if (!reply) {
        listed.error = reply.error().message;
    } else if (!reply->value("ok", false) || !reply->contains("result")) {
        listed.error = "the daemon refused the status request";
    } else {
        listed.status = (*reply)["result"];
    }
    return listed;
}

std::chrono::milliseconds uptime_of(const registry::Entry& entry) {
    const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::system_clock::now().time_since_epoch());
    return std::max(0ms, now - std::chrono::milliseconds(entry.started_at_ms));
}

std::string file_of(const registry::Entry& entry) {
    return entry.service_file.empty() ? "(run)" : entry.service_file.string();
}

Json listed_json(const Listed& listed) {
    const registry::Entry& entry = listed.entry;
    Json json = {{"pid", entry.pid},
                 {"service_file", entry.service_file.empty() ? Json(nullptr) : Json(entry.service_file.string())},
                 {"state_dir", entry.state_dir.string()},
                 {"socket", entry.socket.string()},
                 {"version", entry.version},
                 {"started_at", iso_utc(std::chrono::system_clock::time_point(std::chrono::milliseconds(entry.started_at_ms)))},
                 {"uptime_ms", uptime_of(entry).count()}};
    if (listed.status) {
        json["status"] = *listed.status;
    } else {
        json["error"] = listed.error;
    }
    return json;
}

std::string instances_table(const Json& status, const Style& style) {
    const Json instances = status.is_object() && status.contains("instances") ? status["instances"] : Json::array();
    if (!instances.is_array() || instances.empty()) return "  no instances\n";
    std::vector<Row> rows;
    for (const auto& instance : instances) {
        const Json& pid = instance.contains("pid") ? instance["pid"] : Json(nullptr);
        const Json& uptime = instance.contains("uptime_ms") ? instance["uptime_ms"] : Json(nullptr);
        rows.push_back({instance_name(instance), text_of(instance, "state", "?"),
                        pid.is_number() ? std::to_string(pid.get<long long>()) : "-",
                        uptime.is_number() ? format_duration(std::chrono::milliseconds(uptime.get<long long>())) : "-"});
    }
    const std::string table = render_table({"INSTANCE", "STATE", "PID", "UPTIME"}, rows,
                                           [&](int row, std::size_t column, const std::string& cell) {
                                               return row >= 0 && column == 1 ? paint_state(style, cell) : cell;
                                           });
    std::string indented;
    for (std::size_t start = 0; start < table.size();) {
        const std::size_t end = table.find('\n', start);
        const std::size_t stop = end == std::string::npos ? table.size() : end + 1;
        indented += "  " + table.substr(start, stop - start);
        start = stop;
    }
    return indented;
}

std::string render_listed(const Listed& listed, const Style& style) {
    const registry::Entry& entry = listed.entry;
    std::string text = file_of(entry) + "  pid " + std::to_string(entry.pid) + ", up " +
                       format_duration(uptime_of(entry)) + "\n";
    text += "  state dir " + entry.state_dir.string() + ", socket " + entry.socket.string() + "\n";
    if (!listed.status) return text + "  not answering: " + listed.error + "\n";
    return text + instances_table(*listed.status, style);
}

}  // namespace

LsCli::LsCli(CLI::App& app) {
    app_ = app.add_subcommand("ls", "List every corral daemon of this user and its instances, from any directory");
    app_->add_flag("--json", json_, "Print JSON instead of text");
}

int LsCli::run() const {
    const std::vector<registry::Entry> entries = registry::read_entries(registry::runtime_dir_path());
    std::vector<Listed> listed;
    for (const auto& entry : entries) listed.push_back(ask(entry));
    int code = kExitOk;
    for (const auto& one : listed) {
        if (!one.status) code = kExitFailed;
    }
    if (json_) {
        Json list = Json::array();
        for (const auto& one : listed) list.push_back(listed_json(one));
        print_json(list);
        return code;
    }
    if (listed.empty()) {
        print("no corral daemon is running\n");
        return kExitOk;
    }
    const Style style{color_wanted(STDOUT_FILENO)};
    std::string text;
    for (const auto& one : listed) text += (text.empty() ? "" : "\n") + render_listed(one, style);
    print(text);
    return code;
}

}  // namespace corral::supervisor::cli
