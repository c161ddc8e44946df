#include "supervisor/cli/pm2_import/service_file_text.hpp"

#include <sstream>
#include <string_view>

#include "supervisor/config/toml_fields.hpp"

namespace corral::pm2 {
namespace {

constexpr std::string_view kKeyOrder[] = {"command", "shell", "cwd", "env", "instances", "restart", "backoff",
                                          "start_limit", "stop", "logs", "memory", "listen", "ready", "ready_timeout"};

std::string value_text(const toml::node& value) {
    std::ostringstream out;
    // Basic strings only: a literal string cannot hold every character an app's value may have.
    constexpr auto flags = toml::toml_formatter::default_flags & ~toml::format_flags::allow_literal_strings &
                           ~toml::format_flags::allow_multi_line_strings;
    value.visit([&](const auto& node) { out << toml::toml_formatter{node, flags}; });
    return out.str();
}

// A comment stays one line whatever an app's name or path holds.
std::string one_line(std::string text) {
    for (char& c : text) {
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
    }
    return text;
}

constexpr std::size_t kCommentWidth = 110;

// Each line as "# ..." comments, wrapped between words.
void comments(std::ostringstream& out, const std::vector<std::string>& lines) {
    for (const auto& line : lines) {
        std::string rest = one_line(line);
        while (rest.size() > kCommentWidth) {
            std::size_t cut = rest.rfind(' ', kCommentWidth);
            if (cut == std::string::npos || cut == 0) cut = rest.find(' ', kCommentWidth);
            if (cut == std::string::npos) break;
            out << "# " << rest.substr(0, cut) << '\n';
            rest = rest.substr(cut + 1);
        }
        out << "# " << rest << '\n';
    }
}

void service_text(std::ostringstream& out, const ImportedService& service) {
    const auto notes_of = [&](const std::string& key) {
        const auto it = service.notes.find(key);
        if (it != service.notes.end()) comments(out, it->second);
    };
    out << '\n';
    notes_of("");
    out << '[' << config::key_path("services", service.name) << "]\n";
    for (const std::string_view key : kKeyOrder) {
        const toml::node* value = service.fields.get(key);
        if (value == nullptr) continue;
        notes_of(std::string(key));
        out << key << " = " << value_text(*value) << '\n';
    }
    comments(out, service.trailer);
}

}  // namespace

std::string service_file_text(const ImportResult& result, const std::string& source) {
    std::ostringstream out;
    out << "# Imported from the pm2 ecosystem file " << one_line(source) << " by `corral import`.\n"
        << "# The comments say where pm2 behaved differently; the keys corral has no place for were listed\n"
        << "# when it ran (README, \"Coming from pm2\").\n";
    for (const auto& service : result.services) service_text(out, service);
    return out.str();
}

}  // namespace corral::pm2
