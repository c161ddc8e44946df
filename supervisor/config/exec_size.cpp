#include "supervisor/config/exec_size.hpp"

#include <unistd.h>

#include <cstring>

#include "base/text_format.hpp"

extern char** environ;

namespace corral::config {
namespace {

// 32 pages of 4 KiB: the kernel's MAX_ARG_STRLEN (include/uapi/linux/binfmts.h), not exported to users.
constexpr std::size_t kMaxArgStrlen = 32 * 4096;
// corral's own additions: CORRAL_SERVICE/CORRAL_INSTANCE, Node's channel variables, NODE_OPTIONS with a
// diagnostics directory, and the exec shim's arguments (its path, cgroup directories): a few paths each.
constexpr std::size_t kCorralAllowance = 16 * 1024;

// execve's accounting: the string, its NUL, and the pointer to it.
std::size_t exec_cost(std::size_t length) { return length + 1 + sizeof(char*); }

const toml::node* command_node(const toml::table& service, std::size_t index) {
    const toml::node* command = service.get("command");
    if (command == nullptr) return nullptr;
    if (const toml::array* argv = command->as_array(); argv != nullptr && index < argv->size()) return argv->get(index);
    return command;
}

const toml::node* env_node(const toml::table& service, const std::string& name) {
    const toml::table* env = service.get_as<toml::table>("env");
    if (env == nullptr) return nullptr;
    const toml::node* value = env->get(name);
    return value != nullptr ? value : env;
}

std::string too_long(std::string_view what, std::size_t length, std::size_t limit) {
    return std::string(what) + " is " + std::to_string(length) + " bytes long with its NUL; the kernel refuses one "
           "argument or environment string over " + std::to_string(limit) + " bytes (MAX_ARG_STRLEN): every start "
           "would fail with \"Argument list too long\"";
}

}  // namespace

ExecLimits exec_limits_here() {
    ExecLimits limits;
    const long arg_max = ::sysconf(_SC_ARG_MAX);
    limits.arg_max = arg_max > 0 ? static_cast<std::size_t>(arg_max) : 128 * 1024;
    limits.max_arg_strlen = kMaxArgStrlen;
    limits.inherited = kCorralAllowance + sizeof(char*);
    for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) limits.inherited += exec_cost(std::strlen(*entry));
    return limits;
}

void check_exec_size(Diagnostics& diagnostics, const toml::table& service, const std::string& path,
                     const ServiceSpec& spec, const ExecLimits& limits) {
    const toml::node* command = service.get("command");
    if (command == nullptr || spec.command.empty()) return;
    std::size_t total = limits.inherited + sizeof(char*);
    for (std::size_t i = 0; i < spec.command.size(); ++i) {
        const std::size_t length = spec.command[i].size() + 1;
        total += exec_cost(spec.command[i].size());
        if (length <= limits.max_arg_strlen) continue;
        const toml::node* at = command_node(service, spec.shell ? 0 : i);
        const std::string what = spec.shell ? key_path(path, "command") : key_path(path, "command") + "[" + std::to_string(i) + "]";
        diagnostics.error(*at, too_long(what, length, limits.max_arg_strlen));
    }
    for (const auto& [name, value] : spec.env) {
        const std::size_t length = name.size() + 1 + value.size() + 1;  // "NAME=value"
        total += exec_cost(length - 1);
        if (length <= limits.max_arg_strlen) continue;
        diagnostics.error(*env_node(service, name),
                          too_long(key_path(key_path(path, "env"), name) + " (as NAME=value)", length, limits.max_arg_strlen));
    }
    if (total > limits.arg_max) {
        diagnostics.error(*command, "the command and environment of [" + path + "] take about " + format_size(total) +
                                        " with what the service inherits, more than the kernel accepts for a program's "
                                        "arguments and environment together (" + format_size(limits.arg_max) +
                                        ", sysconf(ARG_MAX)): every start would fail with \"Argument list too long\"");
    }
}

}  // namespace corral::config
