#include "supervisor/config/service_line.hpp"

#include <fstream>
#include <sstream>
#include <string>

namespace corral::config {

namespace {

std::string without_spaces(std::string_view line) {
    std::string text;
    for (const char c : line) {
        if (c != ' ' && c != '\t' && c != '\r') text += c;
    }
    return text;
}

}  // namespace

std::optional<unsigned> service_header_line(std::string_view text, std::string_view name) {
    const std::string bare = "[services." + std::string(name) + "]";
    const std::string quoted = "[services.\"" + std::string(name) + "\"]";
    const std::string single = "[services.'" + std::string(name) + "']";
    unsigned number = 1;
    for (std::size_t start = 0; start <= text.size(); ++number) {
        const std::size_t end = std::min(text.find('\n', start), text.size());
        std::string line = without_spaces(text.substr(start, end - start));
        if (const auto comment = line.find('#'); comment != std::string::npos && line.starts_with("[services.")) {
            // `[services.web] # the front` (a '#' inside a quoted name is no service name corral takes)
            line.resize(comment);
        }
        if (line == bare || line == quoted || line == single) return number;
        if (end == text.size()) break;
        start = end + 1;
    }
    return std::nullopt;
}

std::optional<unsigned> service_header_line_in(const std::filesystem::path& file, std::string_view name) {
    if (file.empty()) return std::nullopt;
    std::ifstream in(file);
    if (!in) return std::nullopt;
    std::ostringstream text;
    text << in.rdbuf();
    return service_header_line(std::string_view(text.str()), name);
}

}  // namespace corral::config
