#pragma once
// Post-mortem bundles as JSON, for `corral postmortem --json` and for the control protocol's `postmortem`
// command: keys in their documented order (ordered_json).
#include <nlohmann/json.hpp>

#include "supervisor/postmortem/bundle_reader.hpp"

namespace corral::supervisor::postmortem {

using Json = nlohmann::ordered_json;

// One bundle in a list: id, path, service, index, reason, ended_at, uptime_ms, exit, memory.
Json info_json(const BundleInfo& info);
// One bundle whole: its summary, plus "path", "samples" and "files" (name, size).
Json bundle_json(const Bundle& bundle);

}  // namespace corral::supervisor::postmortem
