#pragma once
// <state_dir>/status.json: the daemon's view of every instance, rewritten after state changes (at most every
// 500 ms) and every memory sample, atomically (temp file + rename), so that readers never see half a file.
#include <filesystem>
#include <vector>

#include <nlohmann/json.hpp>

#include "supervisor/instance/instance.hpp"

namespace corral::supervisor {

nlohmann::json instance_status(const Instance& instance, policies::TimePoint now);

// Returns false (after logging) when the file cannot be written.
bool write_status_file(const std::filesystem::path& file, const std::vector<const Instance*>& instances);

}  // namespace corral::supervisor
