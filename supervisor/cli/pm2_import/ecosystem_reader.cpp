#include "supervisor/cli/pm2_import/ecosystem_reader.hpp"

#include <fstream>
#include <sstream>

#include "supervisor/cli/pm2_import/node_eval.hpp"
#include "supervisor/cli/pm2_import/yaml_json.hpp"

namespace corral::pm2 {
namespace {

enum class Kind { javascript, json, yaml, unknown };

Kind kind_of(const std::filesystem::path& file) {
    const std::string extension = file.extension().string();
    if (extension == ".js" || extension == ".cjs" || extension == ".mjs") return Kind::javascript;
    if (extension == ".json" || extension == ".json5") return Kind::json;
    if (extension == ".yaml" || extension == ".yml") return Kind::yaml;
    return Kind::unknown;
}

bool read_text(const std::filesystem::path& file, std::string& text, std::string& error) {
    std::ifstream in(file, std::ios::binary);
    std::ostringstream buffer;
    if (in) buffer << in.rdbuf();
    if (!in || in.bad()) {
        std::error_code code;
        const bool exists = std::filesystem::exists(file, code);
        error = file.string() + ": " + (exists ? "cannot read it" : "no such file");
        return false;
    }
    text = buffer.str();
    return true;
}

}  // namespace

EcosystemRead read_ecosystem(const std::filesystem::path& file) {
    EcosystemRead result;
    const Kind kind = kind_of(file);
    if (kind == Kind::unknown) {
        result.error = file.string() + ": not an ecosystem file pm2 reads (expected .js, .cjs, .mjs, .json, .yaml or .yml)";
        return result;
    }
    std::string text;
    if (!read_text(file, text, result.error)) return result;
    if (kind == Kind::javascript) {
        NodeEval evaluated = eval_with_node(std::filesystem::absolute(file).lexically_normal());
        if (!evaluated.exports) result.error = file.string() + ": " + evaluated.error;
        result.document = std::move(evaluated.exports);
        result.dropped = std::move(evaluated.dropped);
    } else if (kind == Kind::json) {
        try {
            result.document = nlohmann::json::parse(text, nullptr, true, /*ignore_comments=*/true);
        } catch (const nlohmann::json::parse_error& e) {
            result.error = file.string() + ": invalid JSON: " + e.what();
        }
    } else {
        YamlRead yaml = yaml_to_json(text);
        if (!yaml.document) result.error = file.string() + ":" + yaml.error;
        result.document = std::move(yaml.document);
    }
    return result;
}

}  // namespace corral::pm2
