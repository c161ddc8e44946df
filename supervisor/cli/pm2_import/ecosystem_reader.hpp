#pragma once
// An ecosystem file of any kind pm2 reads -> its JSON document: .js/.cjs/.mjs through node
// (node_eval.hpp), .json with nlohmann/json (comments allowed, as pm2's evaluation of JSON allows them),
// .yaml/.yml with yaml-cpp (yaml_json.hpp).
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace corral::pm2 {

struct EcosystemRead {
    std::optional<nlohmann::json> document;
    std::vector<std::string> dropped;  // values node could not turn into JSON (functions, undefined)
    std::string error;                 // "FILE: ..." or "FILE:LINE:COL: ..."
};

EcosystemRead read_ecosystem(const std::filesystem::path& file);

}  // namespace corral::pm2
