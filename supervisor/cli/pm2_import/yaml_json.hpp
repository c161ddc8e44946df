#pragma once
// YAML ecosystem files -> the JSON shape pm2 sees (pm2 reads them with js-yaml). Plain scalars are typed
// as YAML 1.2's core schema says (true, 3000, 1.5, null); quoted ones stay strings; mapping keys are
// strings. Errors carry the line and column.
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace corral::pm2 {

struct YamlRead {
    std::optional<nlohmann::json> document;
    std::string error;  // "3:5: illegal map value"
};

YamlRead yaml_to_json(std::string_view text);

}  // namespace corral::pm2
