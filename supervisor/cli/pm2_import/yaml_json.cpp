#include "supervisor/cli/pm2_import/yaml_json.hpp"

#include <regex>

#include <yaml-cpp/yaml.h>

namespace corral::pm2 {
namespace {

constexpr int kMaxDepth = 64;

nlohmann::json plain_scalar(const std::string& text) {
    static const std::regex null_text("~|null|Null|NULL|");
    static const std::regex true_text("true|True|TRUE");
    static const std::regex false_text("false|False|FALSE");
    static const std::regex integer_text("[-+]?[0-9]+");
    static const std::regex float_text(R"([-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?)");
    if (std::regex_match(text, null_text)) return nullptr;
    if (std::regex_match(text, true_text)) return true;
    if (std::regex_match(text, false_text)) return false;
    try {
        if (std::regex_match(text, integer_text)) return std::stoll(text);
        if (std::regex_match(text, float_text)) return std::stod(text);
    } catch (const std::out_of_range&) {
        return std::stod(text);
    }
    return text;
}

nlohmann::json convert(const YAML::Node& node, int depth) {
    if (depth > kMaxDepth) throw std::runtime_error("nested more than " + std::to_string(kMaxDepth) + " levels deep");
    switch (node.Type()) {
        case YAML::NodeType::Scalar:
            return node.Tag() == "!" ? nlohmann::json(node.Scalar()) : plain_scalar(node.Scalar());
        case YAML::NodeType::Sequence: {
            nlohmann::json array = nlohmann::json::array();
            for (const auto& item : node) array.push_back(convert(item, depth + 1));
            return array;
        }
        case YAML::NodeType::Map: {
            nlohmann::json object = nlohmann::json::object();
            for (const auto& item : node) {
                if (!item.first.IsScalar()) throw std::runtime_error("a mapping key that is not a plain value");
                object[item.first.Scalar()] = convert(item.second, depth + 1);
            }
            return object;
        }
        default:
            return nullptr;
    }
}

}  // namespace

YamlRead yaml_to_json(std::string_view text) {
    YamlRead result;
    try {
        result.document = convert(YAML::Load(std::string(text)), 0);
    } catch (const YAML::Exception& e) {
        result.error = std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1) + ": " + e.msg;
    } catch (const std::exception& e) {
        result.error = std::string(" ") + e.what();  // no place to name: "FILE: what"
    }
    return result;
}

}  // namespace corral::pm2
