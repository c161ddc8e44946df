// script, args, interpreter, node_args and cwd -> command (and shell) and cwd.
#include <filesystem>
#include <map>
#include <optional>
#include <vector>

#include "supervisor/cli/pm2_import/app_mapper.hpp"
#include "supervisor/cli/pm2_import/pm2_values.hpp"

namespace corral::pm2 {
namespace {

// pm2's interpreter for a script without one (lib/API/interpreter.json; .js is node).
std::optional<std::string> interpreter_for(const std::string& script) {
    if (!script.empty() && script.back() == '/') return "node";  // a directory: node runs its index.js
    static const std::map<std::string, std::string> by_extension = {
        {".js", "node"}, {".cjs", "node"}, {".mjs", "node"}, {".sh", "bash"}, {".py", "python"},
        {".rb", "ruby"}, {".php", "php"}, {".pl", "perl"}, {".coffee", "coffee"}, {".ls", "lsc"},
        {".ts", "bun"}, {".tsx", "bun"}};
    const auto it = by_extension.find(std::filesystem::path(script).extension().string());
    if (it == by_extension.end()) return std::nullopt;
    return it->second;
}

toml::array string_array(const std::vector<std::string>& items) {
    toml::array array;
    for (const auto& item : items) array.push_back(item);
    return array;
}

std::vector<std::string> list_of(AppMapper& mapper, std::initializer_list<std::string_view> keys) {
    const nlohmann::json* value = mapper.take(keys);
    if (value == nullptr) return {};
    if (auto list = argument_list(*value)) return *list;
    mapper.invalid(*keys.begin(), *value, "a string or an array of strings");
    return {};
}

// The interpreter pm2 would use: nullopt for none (the script runs as a program).
std::optional<std::string> interpreter_of(AppMapper& mapper, const std::string& script) {
    const nlohmann::json* given = mapper.take({"interpreter", "exec_interpreter"});
    if (given != nullptr && given->is_string() && !given->get_ref<const std::string&>().empty()) {
        const std::string name = given->get<std::string>();
        if (name == "none") return std::nullopt;
        if (name.rfind("node@", 0) == 0) {
            mapper.approximate("interpreter", "command", "pm2's " + name + " picks a Node version through nvm; "
                               "corral runs the node on PATH: write the path of that version's node instead");
            return "node";
        }
        return name;
    }
    if (given != nullptr) mapper.invalid("interpreter", *given, "an interpreter name or path, or \"none\"");
    if (auto by_extension = interpreter_for(script)) return by_extension;
    mapper.approximate("script", "command", "pm2 runs a script without a known extension with node unless it is "
                       "a binary file; corral runs it as a program (it needs a #! line and the executable bit)");
    return std::nullopt;
}

void map_cwd(AppMapper& mapper) {
    const nlohmann::json* cwd = mapper.take("cwd");
    const std::string& base = mapper.options().absolute_base;
    if (cwd != nullptr && !cwd->is_string()) mapper.invalid("cwd", *cwd, "a directory path");
    if (cwd != nullptr && cwd->is_string()) {
        const std::filesystem::path written(cwd->get<std::string>());
        const bool rebase = !base.empty() && written.is_relative();
        const std::string value = rebase ? (std::filesystem::path(base) / written).lexically_normal().string()
                                         : written.string();
        mapper.service().fields.insert_or_assign("cwd", value);
    } else if (!base.empty()) {
        mapper.service().fields.insert_or_assign("cwd", base);
        mapper.note("cwd", "the ecosystem file's directory: pm2 uses the directory `pm2 start` ran in");
    }
}

}  // namespace

void map_command(AppMapper& mapper) {
    const nlohmann::json* script = mapper.take({"script", "exec", "cmd", "command"});
    std::vector<std::string> args = list_of(mapper, {"args"});
    std::vector<std::string> node_args = list_of(mapper, {"node_args", "interpreter_args", "interpreterArgs"});
    map_cwd(mapper);
    if (script == nullptr || !script->is_string() || script->get_ref<const std::string&>().empty()) {
        mapper.error("no script (pm2's script, the program to run, is required)");
        return;
    }
    const std::string path = script->get<std::string>();
    auto& fields = mapper.service().fields;
    if (path.find(' ') != std::string::npos) {  // pm2 runs it with bash -c and ignores args
        mapper.take({"interpreter", "exec_interpreter"});
        fields.insert_or_assign("shell", true);
        fields.insert_or_assign("command", path);
        mapper.approximate("script", "command", "a script with spaces is a command line: pm2 runs it with bash -c, "
                                                "corral with /bin/sh -c (write [\"bash\", \"-c\", ...] for bash)");
        if (!args.empty()) mapper.unmapped("args", "pm2 drops args when script is a command line: add them to it");
        return;
    }
    std::vector<std::string> command;
    if (const auto interpreter = interpreter_of(mapper, path)) {
        command.push_back(*interpreter);
        command.insert(command.end(), node_args.begin(), node_args.end());
    } else if (!node_args.empty()) {
        mapper.unmapped("node_args", "the script runs without an interpreter here: pass these flags in its own "
                                     "command line, or set interpreter");
    }
    command.push_back(path);
    command.insert(command.end(), args.begin(), args.end());
    fields.insert_or_assign("command", string_array(command));
}

}  // namespace corral::pm2
