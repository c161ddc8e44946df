#pragma once
// <state_dir>/status.json: the daemon's view of every instance, rewritten atomically (temp file + rename, so
// that readers never see half a file) when something in it changes: a state change, a cool period, a memory
// reading that differs from the last one; at most every 500 ms. Nothing is written while nothing changes,
// so `uptime_ms` is as of `written_at`.
#include <filesystem>
#include <vector>

#include <nlohmann/json.hpp>

#include "policies/error_throttle.hpp"
#include "supervisor/instance/instance.hpp"

namespace corral::supervisor {

nlohmann::json instance_status(const Instance& instance, policies::TimePoint now);

// The file, and what its failures say in the log: a failure once, again only when the error changes or a
// minute later (with the count in between), and once when writing works again. A full disk would
// otherwise log a line per memory sample.
class StatusFile {
public:
    explicit StatusFile(std::filesystem::path file) : file_(std::move(file)) {}

    // Returns false when the file could not be written.
    bool write(const std::vector<const Instance*>& instances);

private:
    std::filesystem::path file_;
    policies::ErrorThrottle throttle_;
};

}  // namespace corral::supervisor
