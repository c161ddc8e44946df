#include "supervisor/postmortem/javascript_stack.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "supervisor/postmortem/bundle_format.hpp"

namespace corral::supervisor::postmortem {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr std::size_t kMostFrames = 64;

std::optional<std::string> file_text(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) return std::nullopt;
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

std::string path_of_url(std::string url) {
    if (url.starts_with("file://")) url.erase(0, 7);
    return url;
}

unsigned number(const json& object, const char* key) {
    const auto it = object.find(key);
    if (it == object.end() || !it->is_number_integer() || it->get<long long>() < 0) return 0;
    return static_cast<unsigned>(std::min<long long>(it->get<long long>(), 1'000'000'000));
}

// "at spin (/srv/app.js:4:3)", "at /srv/app.js:4:3", "at new Server (node:net:1:2)".
StackFrame frame_of_line(std::string line) {
    StackFrame frame;
    if (line.starts_with("at ")) line.erase(0, 3);
    std::string where = line;
    const auto open = line.rfind(" (");
    if (open != std::string::npos && line.ends_with(")")) {
        frame.function = line.substr(0, open);
        where = line.substr(open + 2, line.size() - open - 3);
    }
    // file:line:column, the file possibly with colons of its own (a URL).
    const auto last = where.rfind(':');
    const auto before = last == std::string::npos || last == 0 ? std::string::npos : where.rfind(':', last - 1);
    const auto digits = [](const std::string& text) {
        return !text.empty() && text.size() < 10 && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
    };
    if (before != std::string::npos && digits(where.substr(before + 1, last - before - 1)) && digits(where.substr(last + 1))) {
        frame.line = static_cast<unsigned>(std::stoul(where.substr(before + 1, last - before - 1)));
        frame.column = static_cast<unsigned>(std::stoul(where.substr(last + 1)));
        where.resize(before);
    }
    frame.file = path_of_url(where);
    if (frame.function.empty()) frame.function = "(anonymous)";
    return frame;
}

}  // namespace

std::optional<std::vector<StackFrame>> parse_agent_stack(const std::string& text) {
    const json parsed = json::parse(text, nullptr, false);
    const auto frames = parsed.is_object() ? parsed.find("frames") : parsed.end();
    if (frames == parsed.end() || !frames->is_array()) return std::nullopt;
    std::vector<StackFrame> stack;
    for (const json& frame : *frames) {
        if (stack.size() == kMostFrames) break;
        if (!frame.is_object()) continue;
        const auto name = frame.find("function");
        const auto url = frame.find("url");
        StackFrame read;
        read.function = name != frame.end() && name->is_string() && !name->get<std::string>().empty()
                            ? name->get<std::string>()
                            : "(anonymous)";
        read.file = url != frame.end() && url->is_string() ? path_of_url(url->get<std::string>()) : "";
        read.line = number(frame, "line");
        read.column = number(frame, "column");
        stack.push_back(std::move(read));
    }
    return stack;
}

std::optional<std::vector<StackFrame>> parse_report_stack(const std::string& text) {
    const json parsed = json::parse(text, nullptr, false);
    const auto section = parsed.is_object() ? parsed.find("javascriptStack") : parsed.end();
    if (section == parsed.end() || !section->is_object()) return std::nullopt;
    const auto lines = section->find("stack");
    if (lines == section->end() || !lines->is_array()) return std::nullopt;
    std::vector<StackFrame> stack;
    for (const json& line : *lines) {
        if (stack.size() == kMostFrames) break;
        if (line.is_string() && line.get<std::string>().starts_with("at ")) stack.push_back(frame_of_line(line.get<std::string>()));
    }
    return stack;
}

std::optional<JavascriptStack> read_javascript_stack(const fs::path& bundle_dir) {
    if (const auto text = file_text(bundle_dir / kJavascriptStack)) {
        if (auto frames = parse_agent_stack(*text)) return JavascriptStack{std::string(kJavascriptStack), std::move(*frames)};
    }
    std::vector<fs::path> reports;
    std::error_code ec;
    for (fs::directory_iterator it(bundle_dir, ec), end; !ec && it != end; it.increment(ec)) {
        const std::string name = it->path().filename().string();
        if (name.starts_with("report") && name.ends_with(".json")) reports.push_back(it->path());
    }
    std::sort(reports.begin(), reports.end());
    for (const fs::path& report : reports) {
        const auto text = file_text(report);
        auto frames = text ? parse_report_stack(*text) : std::nullopt;
        if (frames && !frames->empty()) return JavascriptStack{report.filename().string(), std::move(*frames)};
    }
    return std::nullopt;
}

std::string frame_text(const StackFrame& frame) {
    std::string where = frame.file.empty() ? "?" : frame.file;
    if (frame.line > 0) where += ":" + std::to_string(frame.line) + ":" + std::to_string(frame.column);
    return frame.function + " (" + where + ")";
}

nlohmann::ordered_json stack_json(const std::optional<JavascriptStack>& stack) {
    if (!stack) return nullptr;
    nlohmann::ordered_json frames = nlohmann::ordered_json::array();
    for (const StackFrame& frame : stack->frames) {
        frames.push_back({{"function", frame.function}, {"file", frame.file}, {"line", frame.line}, {"column", frame.column}});
    }
    return {{"file", stack->source}, {"frames", std::move(frames)}};
}

}  // namespace corral::supervisor::postmortem
