// env, env_<name> and port -> env. corral has no environment switch like `pm2 start --env production`:
// `corral import --env NAME` merges env_NAME into env as pm2 does (env first, env_NAME over it); every
// other env_<name> is written as a comment block after the service, ready to be moved into env.
#include <sstream>

#include "supervisor/cli/pm2_import/app_mapper.hpp"
#include "supervisor/cli/pm2_import/pm2_values.hpp"

namespace corral::pm2 {
namespace {

bool valid_env_name(const std::string& name) {
    if (name.empty() || (name[0] >= '0' && name[0] <= '9')) return false;
    for (const char c : name) {
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
    }
    return true;
}

// Strings stay strings, whole numbers and booleans keep their TOML type (the loader turns them into the
// same text pm2 would pass); anything else becomes the string pm2 would pass.
void put(toml::table& env, const std::string& name, const nlohmann::json& value) {
    if (value.is_boolean()) env.insert_or_assign(name, value.get<bool>());
    else if (value.is_number_integer()) env.insert_or_assign(name, value.get<std::int64_t>());
    else env.insert_or_assign(name, env_text(value));
}

// The variables of one pm2 env object into `env`; names corral refuses are reported.
void merge(AppMapper& mapper, const std::string& key, const nlohmann::json& object, toml::table& env) {
    if (!object.is_object()) {
        mapper.invalid(key, object, "an object of variables such as { NODE_ENV: \"production\" }");
        return;
    }
    for (const auto& [name, value] : object.items()) {
        if (valid_env_name(name)) {
            put(env, name, value);
        } else {
            mapper.unmapped(key + "." + name, "corral accepts variable names of letters, digits and '_' (not "
                                              "starting with a digit): set it in the program or a wrapper script");
        }
    }
}

std::string inline_text(const toml::table& env) {
    toml::table copy = env;
    copy.is_inline(true);
    std::ostringstream out;
    out << toml::toml_formatter{copy, toml::toml_formatter::default_flags & ~toml::format_flags::allow_literal_strings};
    return out.str();
}

void other_environment(AppMapper& mapper, const std::string& key, const nlohmann::json& object) {
    const std::string name = key.substr(4);
    toml::table env;
    merge(mapper, key, object, env);
    auto& trailer = mapper.service().trailer;
    trailer.push_back("pm2's " + key + " (`pm2 start --env " + name + "`): corral has no environment switch;");
    trailer.push_back("`corral import FILE --env " + name + "` merges it into env, or move these into env:");
    trailer.push_back(key + " = " + inline_text(env));
    mapper.approximate(key, "", "not applied: written as a comment after [services." + mapper.service().name +
                                    "]; `corral import FILE --env " + name + "` merges it into env");
}

}  // namespace

void map_env(AppMapper& mapper) {
    toml::table env;
    if (const nlohmann::json* base = mapper.take("env")) merge(mapper, "env", *base, env);
    const auto& wanted = mapper.options().env_name;
    bool wanted_found = false;
    for (const auto& [key, value] : mapper.app().items()) {
        if (key.rfind("env_", 0) != 0 || key.size() <= 4) continue;
        mapper.take(key);
        if (wanted && key.substr(4) == *wanted) {
            merge(mapper, key, value, env);
            mapper.approximate(key, "env", "env with " + key + " merged over it (as `pm2 start --env " + *wanted + "`)");
            wanted_found = true;
        } else {
            other_environment(mapper, key, value);
        }
    }
    if (wanted && !wanted_found) {
        mapper.approximate("env_" + *wanted, "env", "this app has no env_" + *wanted + ": its env is used as it is");
    }
    if (const nlohmann::json* port = mapper.take("port")) {
        const auto number = integer_value(*port);
        if (!number || *number < 0 || *number > 65535) mapper.invalid("port", *port, "a port number");
        else if (!env.contains("PORT")) env.insert_or_assign("PORT", *number);
    }
    if (env.empty()) return;
    env.is_inline(true);
    mapper.service().fields.insert_or_assign("env", std::move(env));
}

}  // namespace corral::pm2
