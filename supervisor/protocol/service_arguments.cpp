#include "supervisor/protocol/service_arguments.hpp"

#include <algorithm>
#include <array>

#include "supervisor/config/service_name.hpp"
#include "supervisor/protocol/messages.hpp"

namespace corral::protocol::detail {
namespace {

using nlohmann::json;


bool has_nul(const std::string& text) { return text.find('\0') != std::string::npos; }

// As the service file takes them: letters, digits and '_', not starting with a digit.
bool valid_env_name(std::string_view name) {
    if (name.empty() || (name[0] >= '0' && name[0] <= '9')) return false;
    return std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    });
}

Read<std::string> read_service_name(const json& value) {
    if (!value.is_string()) return Mismatch::wrong_type;
    if (config::service_name_problem(value.get_ref<const std::string&>())) return Mismatch::bad_value;
    return value.get<std::string>();
}

json write_string(const std::string& value) { return value; }

Read<std::vector<std::string>> read_argv(const json& value) {
    if (!value.is_array()) return Mismatch::wrong_type;
    if (value.empty()) return Mismatch::bad_value;
    std::vector<std::string> argv;
    for (const json& element : value) {
        if (!element.is_string()) return Mismatch::bad_value;
        const auto& text = element.get_ref<const std::string&>();
        if (text.empty() || has_nul(text)) return Mismatch::bad_value;
        argv.push_back(text);
    }
    return argv;
}

json write_argv(const std::vector<std::string>& value) { return value; }

Read<std::string> read_cwd(const json& value) {
    if (!value.is_string()) return Mismatch::wrong_type;
    const auto& text = value.get_ref<const std::string&>();
    if (text.empty() || text.front() != '/' || has_nul(text)) return Mismatch::bad_value;
    return text;
}

Read<std::map<std::string, std::string>> read_env(const json& value) {
    if (!value.is_object()) return Mismatch::wrong_type;
    std::map<std::string, std::string> env;
    for (auto item = value.begin(); item != value.end(); ++item) {
        if (!valid_env_name(item.key()) || !item->is_string()) return Mismatch::bad_value;
        const auto& text = item->get_ref<const std::string&>();
        if (has_nul(text)) return Mismatch::bad_value;
        env.emplace(item.key(), text);
    }
    return env;
}

json write_env(const std::map<std::string, std::string>& value) { return value; }

Read<unsigned> read_instances(const json& value) {
    if (!value.is_number_integer()) return Mismatch::wrong_type;
    const auto number = integer_of(value);
    if (!number || *number < 1 || *number > kMostInstances) return Mismatch::bad_value;
    return static_cast<unsigned>(*number);
}

json write_instances(const unsigned& value) { return value; }

Read<policies::RestartMode> read_restart(const json& value) {
    if (!value.is_string()) return Mismatch::wrong_type;
    const auto mode = policies::restart_mode_from(value.get_ref<const std::string&>());
    if (!mode) return Mismatch::bad_value;
    return *mode;
}

json write_restart(const policies::RestartMode& value) { return std::string(policies::to_string(value)); }

}  // namespace

const Codec<std::string> kServiceNameCodec{
    "a service name (1 to 64 letters, digits, '_', '.' or '-', not starting with '.')", read_service_name,
    write_string};
const Codec<std::vector<std::string>> kArgvCodec{
    "a non-empty array of non-empty strings such as [\"node\", \"server.js\"]", read_argv, write_argv};
const Codec<std::string> kCwdCodec{"an absolute directory path such as \"/srv/api\"", read_cwd, write_string};
const Codec<std::map<std::string, std::string>> kEnvCodec{
    "an object of strings such as {\"NODE_ENV\": \"production\"} (names of letters, digits and '_', not starting "
    "with a digit)",
    read_env, write_env};
const Codec<unsigned> kInstancesCodec{"an integer from 1 to 1024", read_instances, write_instances};
const Codec<policies::RestartMode> kRestartCodec{"one of \"always\", \"on-failure\" or \"never\"", read_restart,
                                                 write_restart};

}  // namespace corral::protocol::detail
