#include "supervisor/config/service_toml.hpp"

#include <sstream>

#include "supervisor/config/service_fields.hpp"
#include "supervisor/config/service_name.hpp"
#include "supervisor/config/toml_fields.hpp"

namespace corral::config {
namespace {

// Basic strings with escapes, never literal or multi-line ones; no indentation of nested tables.
constexpr auto kFlags = toml::toml_formatter::default_flags &
                        ~(toml::format_flags::allow_literal_strings | toml::format_flags::allow_multi_line_strings |
                          toml::format_flags::indentation);

std::string formatted(const toml::table& root) {
    std::ostringstream out;
    out << toml::toml_formatter(root, kFlags) << "\n";
    return out.str();
}

bool is_shell_command(const ServiceSpec& spec) {
    return spec.shell && spec.command.size() == 3 && spec.command[0] == "/bin/sh" && spec.command[1] == "-c";
}

}  // namespace

toml::table run_fields_table(const ServiceSpec& spec) {
    const ServiceSpec defaults;
    toml::table table;
    if (is_shell_command(spec)) {
        table.insert("shell", true);
        table.insert("command", spec.command[2]);
    } else {
        toml::array argv;
        for (const auto& arg : spec.command) argv.push_back(arg);
        table.insert("command", std::move(argv));
    }
    if (!spec.cwd.empty()) table.insert("cwd", spec.cwd.string());
    if (!spec.env.empty()) {
        toml::table env;
        for (const auto& [name, value] : spec.env) env.insert(name, value);
        env.is_inline(true);
        table.insert("env", std::move(env));
    }
    if (spec.instances != defaults.instances) table.insert("instances", static_cast<std::int64_t>(spec.instances));
    if (spec.restart != defaults.restart) table.insert("restart", std::string(policies::to_string(spec.restart)));
    return table;
}

std::string services_text(const std::vector<ServiceSpec>& specs) {
    std::string text;
    for (const auto& spec : specs) {
        // One root per service: a toml::table sorts its keys, and the services keep their order.
        toml::table services;
        services.insert(spec.name, run_fields_table(spec));
        text += (text.empty() ? "" : "\n") + formatted(toml::table{{"services", std::move(services)}});
    }
    return text;
}

std::string service_file_text(const std::vector<ServiceSpec>& specs,
                              const std::optional<std::filesystem::path>& state_dir) {
    std::string text;
    if (state_dir) text = formatted(toml::table{{"supervisor", toml::table{{"state_dir", state_dir->string()}}}}) + "\n";
    return text + services_text(specs);
}

std::variant<ServiceSpec, std::string> check_run_service(const ServiceSpec& spec) {
    if (const auto problem = service_name_problem(spec.name)) return "invalid service name " + quote(spec.name) + " " + *problem;
    const toml::table table = run_fields_table(spec);
    Diagnostics diagnostics("");
    ServiceSpec checked = read_service(diagnostics, table, key_path("services", spec.name), spec.cwd);
    if (!diagnostics.empty()) return diagnostics.take_sorted().front().message;
    checked.name = spec.name;
    return checked;
}

}  // namespace corral::config
