#include "supervisor/config/state_dir_only.hpp"

#include <fstream>
#include <sstream>
#include <string>

#include <toml++/toml.h>

#include "supervisor/config/service_fields.hpp"
#include "supervisor/config/toml_guard.hpp"

namespace corral::config {
namespace fs = std::filesystem;

std::optional<fs::path> read_state_dir_only(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) return std::nullopt;
    std::stringstream text;
    text << in.rdbuf();
    const std::string content = text.str();
    const TomlGuard guard = guard_toml_text(content);
    if (guard.problem()) return std::nullopt;
    toml::table document;
    try {
        document = toml::parse(guard.text(), std::string_view(file.native()));
    } catch (const toml::parse_error&) {
        return std::nullopt;
    }
    std::error_code ec;
    const fs::path base_dir = fs::absolute(file, ec).lexically_normal().parent_path();
    const std::optional<std::string> state_dir = document["supervisor"]["state_dir"].value<std::string>();
    return resolve_path(base_dir, state_dir ? *state_dir : ".corral");
}

}  // namespace corral::config
