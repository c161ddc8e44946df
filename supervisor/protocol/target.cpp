#include "supervisor/protocol/target.hpp"

#include <charconv>
#include <limits>

#include "base/instance_name.hpp"
#include "supervisor/config/service_name.hpp"
#include "supervisor/protocol/messages.hpp"

namespace corral::protocol {
namespace {

// `text` with every invalid UTF-8 sequence replaced by U+FFFD.
std::string valid_utf8(const std::string& text) {
    return nlohmann::json::parse(detail::dump(nlohmann::json(text))).get<std::string>();
}

std::string bad_index(std::string_view text, std::string_view digits) {
    const bool all_digits = !digits.empty() && digits.find_first_not_of("0123456789") == std::string_view::npos;
    return "invalid instance index in target " + detail::quote(text) + " (expected " +
           (all_digits ? "a number from 0 to " + std::to_string(std::numeric_limits<unsigned>::max())
                       : std::string("a number after '#'")) +
           ", got " + (digits.empty() ? std::string("nothing") : detail::quote(digits)) + ")";
}

}  // namespace

std::optional<Target> parse_target(std::string_view text, std::string& error) {
    error.clear();
    if (text == "all") return Target{};
    const std::size_t hash = text.find('#');
    const std::string_view service = text.substr(0, hash);
    if (const auto problem = config::service_name_problem(service)) {
        // The problem shows the offending byte as it is, which may not be UTF-8 on its own.
        error = valid_utf8("invalid service name " + detail::quote(service) + " in target " + detail::quote(text) + " " +
                           *problem);
        return std::nullopt;
    }
    if (hash == std::string_view::npos) return Target{std::string(service), std::nullopt};

    const std::string_view digits = text.substr(hash + 1);
    unsigned index = 0;
    const auto [end, status] = std::from_chars(digits.data(), digits.data() + digits.size(), index);
    if (digits.empty() || status != std::errc{} || end != digits.data() + digits.size()) {
        error = bad_index(text, digits);
        return std::nullopt;
    }
    return Target{std::string(service), index};
}

std::string target_text(const Target& target) {
    if (target.all()) return "all";
    return target.index ? instance_name(target.service, *target.index) : target.service;
}

}  // namespace corral::protocol
