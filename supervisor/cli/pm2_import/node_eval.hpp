#pragma once
// Evaluates a JavaScript ecosystem file with node, as pm2 does (require(), or import() for .mjs), and
// returns module.exports as JSON. Functions, undefined, symbols and circular references cannot be JSON:
// they are left out and named in `dropped`. node runs in the file's directory, in a process group of
// its own, killed whole when it has not answered within the timeout.
#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace corral::pm2 {

struct NodeEval {
    std::optional<nlohmann::json> exports;  // set on success
    std::vector<std::string> dropped;       // "apps[0].script (function)"
    std::string error;                      // node's own message when the file throws, or why node did not run
};

NodeEval eval_with_node(const std::filesystem::path& file,
                        std::chrono::milliseconds timeout = std::chrono::seconds(10));

}  // namespace corral::pm2
