#pragma once
// The lines of the `logs` command: the last lines of each log of the instances, read back from the files
// (instance/log_reader.hpp) and merged by arrival time, as the reply's JSON.
#include <nlohmann/json.hpp>

#include <vector>

#include "supervisor/instance/instance.hpp"
#include "supervisor/instance/log_reader.hpp"
#include "supervisor/protocol/commands.hpp"

namespace corral::supervisor {

// [{"time":"...Z","instance":"api#0","stream":"out","line":"..."}, ...], oldest first ("time" is null when
// the line's arrival time is unknown).
nlohmann::json log_lines_json(const std::vector<Instance*>& instances, const protocol::Logs& command);
nlohmann::json log_line_json(const LogLine& line);

}  // namespace corral::supervisor
