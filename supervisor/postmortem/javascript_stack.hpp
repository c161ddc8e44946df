#pragma once
// The JavaScript stack in a post-mortem bundle, for `corral postmortem --show` and --json: the stack the Node
// agent took of a hung instance (kJavascriptStack, supervisor/agent/stack_request.hpp has its format), else
// the one in Node's own diagnostic report of a fatal error (report-*.json, "javascriptStack": {"stack":
// ["at f (/srv/app.js:4:3)", ...]}). A file that cannot be read is no stack, never an error.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace corral::supervisor::postmortem {

struct StackFrame {
    std::string function;  // "(anonymous)" when it has no name
    std::string file;      // "/srv/app.js", "node:internal/timers"; a file:// URL is given as its path
    unsigned line = 0;     // 1-based; 0 when unknown
    unsigned column = 0;

    bool operator==(const StackFrame&) const = default;
};

struct JavascriptStack {
    std::string source;  // the bundle's file it came from
    std::vector<StackFrame> frames;  // innermost first
};

std::optional<JavascriptStack> read_javascript_stack(const std::filesystem::path& bundle_dir);

// The stack as the agent writes it, or as Node's report gives it; nullopt when `text` is neither.
std::optional<std::vector<StackFrame>> parse_agent_stack(const std::string& text);
std::optional<std::vector<StackFrame>> parse_report_stack(const std::string& text);

// "spinForever (/srv/app.js:4:3)".
std::string frame_text(const StackFrame& frame);
nlohmann::ordered_json stack_json(const std::optional<JavascriptStack>& stack);

}  // namespace corral::supervisor::postmortem
