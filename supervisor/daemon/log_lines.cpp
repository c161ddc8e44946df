#include "supervisor/daemon/log_lines.hpp"

namespace corral::supervisor {

nlohmann::json log_line_json(const LogLine& line) {
    return {{"time", line.unix_ms > 0 ? nlohmann::json(iso_utc_ms(line.unix_ms)) : nlohmann::json()},
            {"instance", line.instance},
            {"stream", line.stream},
            {"line", line.line}};
}

nlohmann::json log_lines_json(const std::vector<Instance*>& instances, const protocol::Logs& command) {
    const LogQuery query{command.line_count(), command.since_ms};
    std::vector<std::vector<LogLine>> logs;
    for (const Instance* instance : instances) {
        if (query.lines == 0) break;
        if (command.streams() != protocol::LogStream::err) {
            logs.push_back(read_log(instance->out_log(), instance->name(), "out", query));
        }
        if (command.streams() != protocol::LogStream::out) {
            logs.push_back(read_log(instance->err_log(), instance->name(), "err", query));
        }
    }
    nlohmann::json lines = nlohmann::json::array();
    for (const LogLine& line : merge_by_time(logs)) lines.push_back(log_line_json(line));
    return lines;
}

}  // namespace corral::supervisor
