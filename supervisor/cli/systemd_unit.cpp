#include "supervisor/cli/systemd_unit.hpp"

#include <cctype>

namespace corral::supervisor::cli {
namespace {

constexpr std::size_t kMaxUnitName = 255;  // systemd's UNIT_NAME_MAX, ".service" included

bool unit_name_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_' || c == '.' || c == ':';
}

// A value on the right of `Key=` in a unit file: '%' starts a specifier there.
std::string unit_value(std::string_view value) {
    std::string text;
    for (const char c : value) {
        if (c == '%') text += '%';
        text += c;
    }
    return text;
}

// `Environment="NAME=VALUE"`: quoted, with '%' doubled; '$' means nothing there.
std::string environment_line(std::string_view name, std::string_view value) {
    std::string text = "Environment=\"" + std::string(name) + "=";
    for (const char c : value) {
        if (c == '"' || c == '\\') text += '\\';
        if (c == '%') text += '%';
        text += c;
    }
    return text + "\"\n";
}

}  // namespace

std::string exec_argument(std::string_view argument) {
    bool quote = argument.empty();
    std::string text;
    for (const char c : argument) {
        if (c == ' ' || c == '\t' || c == '"' || c == '\'' || c == '\\' || c == ';') quote = true;
        if (c == '"' || c == '\\') text += '\\';
        if (c == '%' || c == '$') text += c;
        text += c;
    }
    return quote ? "\"" + text + "\"" : text;
}

std::string unit_file_name(std::string_view name, std::string& why) {
    std::string unit = name.ends_with(".service") ? std::string(name) : "corral-" + std::string(name) + ".service";
    const std::string_view stem = std::string_view(unit).substr(0, unit.size() - 8);
    if (name.empty() || stem.empty()) {
        why = "the unit name is empty";
        return {};
    }
    for (const char c : stem) {
        if (unit_name_char(c)) continue;
        why = "a unit name may hold only letters, digits and - _ . : (got \"" + std::string(name) + "\")";
        return {};
    }
    if (unit.size() > kMaxUnitName) {
        why = "a unit name may be at most 255 characters long";
        return {};
    }
    return unit;
}

std::string default_unit_name(const std::filesystem::path& file) {
    std::string base = file.stem().string();
    if (base == "corral" || base.empty()) base = file.parent_path().filename().string();
    std::string name;
    for (const char c : base) name += unit_name_char(c) ? c : '-';
    while (!name.empty() && name.front() == '.') name.erase(name.begin());
    if (name.size() > 64) name.resize(64);
    return name.empty() ? "app" : name;
}

std::string unit_text(const UnitSettings& settings) {
    const std::string corral = exec_argument(settings.corral.string());
    const std::string file = exec_argument(settings.file.string());
    std::string text;
    text += "# Written by `corral startup` for " + unit_value(settings.file.string()) + "\n";
    text += "# Run `corral startup --force` again rather than editing it (README: \"Starting at boot\").\n";
    text += "[Unit]\n";
    text += "Description=corral: the services of " + unit_value(settings.file.string()) + "\n";
    text += "After=network.target\n\n";
    text += "[Service]\n";
    text += "Type=notify\n";
    text += "NotifyAccess=main\n";
    text += "ExecStart=" + corral + " up " + file + "\n";
    text += "ExecReload=" + corral + " reload -c " + file + "\n";
    text += "WorkingDirectory=" + unit_value(settings.file.parent_path().string()) + "\n";
    if (!settings.user.empty()) text += "User=" + settings.user + "\n";
    if (!settings.group.empty()) text += "Group=" + settings.group + "\n";
    if (!settings.path_env.empty()) text += environment_line("PATH", settings.path_env);
    text += "Delegate=yes\n";
    text += "OOMPolicy=continue\n";
    text += "KillMode=control-group\n";
    text += "TimeoutStopSec=" + std::to_string(settings.stop_timeout.count()) + "\n";
    text += "Restart=on-failure\n\n";
    text += "[Install]\n";
    text += std::string("WantedBy=") + (settings.user_unit ? "default.target" : "multi-user.target") + "\n";
    return text;
}

}  // namespace corral::supervisor::cli
