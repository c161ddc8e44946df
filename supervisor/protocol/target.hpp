#pragma once
// What a control command acts on: every instance, one service, or one instance ("all", "api", "api#0").
// The protocol reads a target once, where the request is parsed (or where the CLI reads its argument);
// everything after that holds a Target, never the text.
#include <optional>
#include <string>
#include <string_view>

namespace corral::protocol {

struct Target {
    std::string service;  // "" for all
    std::optional<unsigned> index;

    bool all() const { return service.empty(); }
    bool operator==(const Target&) const = default;
};

// "all", "api", "api#0"; nullopt (and a message in `error`) for anything else ("api#", "api#x", "#1", "a/b").
std::optional<Target> parse_target(std::string_view text, std::string& error);

// "all", "api" or "api#0": the text that parse_target reads back as the same target.
std::string target_text(const Target& target);

}  // namespace corral::protocol
