#include "supervisor/protocol/control_protocol.hpp"

#include <algorithm>
#include <charconv>
#include <exception>
#include <iterator>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "policies/signal_names.hpp"
#include "supervisor/config/closest_key.hpp"
#include "supervisor/config/service_name.hpp"

namespace corral::protocol {
namespace {

using nlohmann::json;

constexpr std::uint64_t kLargestId = std::uint64_t{1} << 53;  // the largest integer a double holds exactly
constexpr std::int64_t kMostLogLines = 10'000;
// Longer strings from the request are cut in messages, so an error never echoes a megabyte back.
constexpr std::size_t kLongestQuote = 64;

constexpr std::string_view kTargetForm = "a service name, NAME#INDEX or \"all\"";
constexpr std::string_view kStreamNames[] = {"out", "err", "both"};

// JSON text that never throws: invalid UTF-8 becomes U+FFFD.
std::string dump(const json& value) { return value.dump(-1, ' ', false, json::error_handler_t::replace); }

// A string from the request as a message shows it: JSON-quoted, and cut (on a character boundary) when long.
std::string quote(std::string_view text) {
    if (text.size() <= kLongestQuote) return dump(json(std::string(text)));
    std::size_t cut = kLongestQuote;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xc0) == 0x80) --cut;
    return dump(json(std::string(text.substr(0, cut)))) + "... (" + std::to_string(text.size()) + " bytes)";
}

// What a JSON value is, as the "got" part of a message: "\"text\"", "integer 5", "float 1.5",
// "boolean true", "null", "array", "object".
std::string describe(const json& value) {
    switch (value.type()) {
        case json::value_t::string: return quote(value.get_ref<const std::string&>());
        case json::value_t::number_integer:
        case json::value_t::number_unsigned: return "integer " + dump(value);
        case json::value_t::number_float: return "float " + dump(value);
        case json::value_t::boolean: return value.get<bool>() ? "boolean true" : "boolean false";
        case json::value_t::null: return "null";
        case json::value_t::array: return value.empty() ? "empty array" : "array";
        case json::value_t::object: return value.empty() ? "empty object" : "object";
        default: return "nothing";
    }
}

// "one of: a, b, c", as the service-file loader lists known keys.
std::string one_of(std::span<const std::string_view> words) {
    std::string list = "one of: ";
    for (std::size_t i = 0; i < words.size(); ++i) list += (i > 0 ? ", " : "") + std::string(words[i]);
    return list;
}

// `"name" must be <form> (got <value>)`, for a value of the right type that is not acceptable.
std::string bad_value(std::string_view name, std::string_view form, const json& value) {
    return dump(json(std::string(name))) + " must be " + std::string(form) + " (got " + describe(value) + ")";
}

// `wrong type for "name" (expected <form>, got <value>)`.
std::string wrong_type(std::string_view name, std::string_view form, const json& value) {
    return "wrong type for " + dump(json(std::string(name))) + " (expected " + std::string(form) + ", got " +
           describe(value) + ")";
}

std::string did_you_mean(std::string_view word, std::span<const std::string_view> known) {
    const auto suggestion = config::closest_key(word, known);
    return suggestion ? "did you mean " + dump(json(*suggestion)) + "?" : "expected " + one_of(known);
}

// The value of an integer JSON number, when it is one and fits in 64 signed bits.
std::optional<std::int64_t> integer_of(const json& value) {
    if (value.is_number_unsigned()) {
        const auto number = value.get<std::uint64_t>();
        if (number > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) return std::nullopt;
        return static_cast<std::int64_t>(number);
    }
    if (value.is_number_integer()) return value.get<std::int64_t>();
    return std::nullopt;
}

// --- arguments -------------------------------------------------------------------------------------

enum class Kind { target, signal, lines, stream, follow, show, millis };

struct Argument {
    std::string_view name;
    Kind kind;
    bool required;
};

struct Command {
    std::string_view name;
    std::span<const Argument> arguments;
};

constexpr Argument kTargetRequired[] = {{"target", Kind::target, true}};
constexpr Argument kSignalArguments[] = {{"target", Kind::target, true}, {"signal", Kind::signal, true}};
constexpr Argument kLogsArguments[] = {{"target", Kind::target, true},
                                       {"lines", Kind::lines, false},
                                       {"stream", Kind::stream, false},
                                       {"follow", Kind::follow, false}};
constexpr Argument kCoolArguments[] = {{"target", Kind::target, true}, {"for_ms", Kind::millis, false}};
constexpr Argument kPostmortemArguments[] = {{"target", Kind::target, false}, {"show", Kind::show, false}};

constexpr Command kCommandTable[] = {
    {"version", {}},
    {"status", {}},
    {"start", kTargetRequired},
    {"stop", kTargetRequired},
    {"restart", kTargetRequired},
    {"signal", kSignalArguments},
    {"cool", kCoolArguments},
    {"heat", kTargetRequired},
    {"reload", {}},
    {"logs", kLogsArguments},
    {"postmortem", kPostmortemArguments},
    {"events", {}},
    {"shutdown", {}},
};
static_assert(std::size(kCommandTable) == std::size(kCommands), "one argument list per command");

std::string_view form_of(Kind kind) {
    switch (kind) {
        case Kind::target: return kTargetForm;
        case Kind::signal: return "a signal name such as \"SIGUSR2\" or \"USR2\", or a signal number";
        case Kind::lines: return "an integer from 0 to 10000";
        case Kind::stream: return "one of \"out\", \"err\" or \"both\"";
        case Kind::follow: return "a boolean";
        case Kind::show: return "a post-mortem id or a prefix of one";
        case Kind::millis: return "an integer from 1 to 86400000 (milliseconds)";
    }
    return "";
}

// nullopt when `value` is acceptable for `argument`, else the message.
std::optional<std::string> argument_problem(const Argument& argument, const json& value) {
    const std::string_view form = form_of(argument.kind);
    switch (argument.kind) {
        case Kind::target: {
            if (!value.is_string()) return wrong_type(argument.name, form, value);
            std::string ignored;
            if (!parse_target(value.get_ref<const std::string&>(), ignored)) {
                return bad_value(argument.name, form, value);
            }
            return std::nullopt;
        }
        case Kind::signal: {
            if (value.is_string()) {
                if (!policies::signal_from_name(value.get_ref<const std::string&>())) {
                    return bad_value(argument.name, form, value);
                }
                return std::nullopt;
            }
            if (!value.is_number_integer()) return wrong_type(argument.name, form, value);
            const auto number = integer_of(value);
            if (!number || *number < 1 || *number > 99 || !policies::signal_from_name(std::to_string(*number))) {
                return bad_value(argument.name, form, value);
            }
            return std::nullopt;
        }
        case Kind::lines: {
            if (!value.is_number_integer()) return wrong_type(argument.name, form, value);
            const auto number = integer_of(value);
            if (!number || *number < 0 || *number > kMostLogLines) return bad_value(argument.name, form, value);
            return std::nullopt;
        }
        case Kind::stream: {
            if (!value.is_string()) return wrong_type(argument.name, form, value);
            const auto& text = value.get_ref<const std::string&>();
            if (std::find(std::begin(kStreamNames), std::end(kStreamNames), text) == std::end(kStreamNames)) {
                return bad_value(argument.name, form, value);
            }
            return std::nullopt;
        }
        case Kind::follow:
            if (!value.is_boolean()) return wrong_type(argument.name, form, value);
            return std::nullopt;
        case Kind::show:
            if (!value.is_string()) return wrong_type(argument.name, form, value);
            if (value.get_ref<const std::string&>().empty()) return bad_value(argument.name, form, value);
            return std::nullopt;
        case Kind::millis: {
            if (!value.is_number_integer()) return wrong_type(argument.name, form, value);
            const auto number = integer_of(value);
            if (!number || *number < 1 || *number > kMostCoolMs) return bad_value(argument.name, form, value);
            return std::nullopt;
        }
    }
    return std::nullopt;
}

// nullopt when `args` suits `command`, else the bad_args message.
std::optional<std::string> arguments_problem(const Command& command, const json& args) {
    const std::string command_name = dump(json(std::string(command.name)));
    for (auto field = args.begin(); field != args.end(); ++field) {
        const std::string& name = field.key();
        const auto known = std::find_if(command.arguments.begin(), command.arguments.end(),
                                        [&](const Argument& argument) { return argument.name == name; });
        if (known != command.arguments.end()) continue;
        std::string message = "unknown argument " + quote(name) + " for " + command_name;
        if (command.arguments.empty()) return message + " (it takes no arguments)";
        std::vector<std::string_view> names;
        for (const auto& argument : command.arguments) names.push_back(argument.name);
        return message + " (" + did_you_mean(name, names) + ")";
    }
    for (const auto& argument : command.arguments) {
        const auto found = args.find(argument.name);
        if (found == args.end()) {
            if (argument.required) {
                return "missing argument " + dump(json(std::string(argument.name))) + " for " + command_name +
                       " (expected " + std::string(form_of(argument.kind)) + ")";
            }
            continue;
        }
        if (auto problem = argument_problem(argument, *found)) return problem;
    }
    return std::nullopt;
}

ProtocolError error(std::optional<std::int64_t> id, std::string_view code, std::string message) {
    return ProtocolError{id, std::string(code), std::move(message)};
}

// `byte` counts from 1, as nlohmann::json counts.
ProtocolError syntax_error(std::size_t byte) {
    return error(std::nullopt, "bad_json",
                 "request is not valid JSON (syntax error at byte " + std::to_string(byte) + ")");
}

std::variant<Request, ProtocolError> parse_envelope(std::string_view line) {
    if (line.size() > kMaxRequestBytes) {
        return error(std::nullopt, "too_large",
                     "request of " + std::to_string(line.size()) + " bytes is longer than the limit of " +
                         std::to_string(kMaxRequestBytes) + " bytes");
    }
    // nlohmann::json takes a NUL byte for the end of the input, and would accept `{...}\0anything`. A
    // raw NUL is never valid JSON (in a string it has to be escaped), so it is a syntax error where it is.
    if (const std::size_t nul = line.find('\0'); nul != std::string_view::npos) return syntax_error(nul + 1);
    json request;
    try {
        request = json::parse(line.begin(), line.end());
    } catch (const json::parse_error& e) {
        return syntax_error(e.byte);
    } catch (const json::out_of_range& e) {
        // A float beyond the range of a double, such as 1e400: "... number overflow parsing '1e400'".
        const std::string_view what = e.what();
        const std::size_t open = what.find('\'');
        const std::size_t close = what.rfind('\'');
        const std::string_view number =
            open < close && close != std::string_view::npos ? what.substr(open + 1, close - open - 1) : what;
        return error(std::nullopt, "bad_json", "request is not valid JSON (number out of range: " +
                                                   std::string(number.substr(0, kLongestQuote)) +
                                                   (number.size() > kLongestQuote ? "...)" : ")"));
    }
    if (!request.is_object()) {
        return error(std::nullopt, "bad_json", "request is not a JSON object (got " + describe(request) + ")");
    }

    // The id first, so that every later error can be answered with it.
    const std::string id_form = "an integer from 0 to " + std::to_string(kLargestId);
    std::optional<std::int64_t> id;
    std::optional<std::string> id_problem;
    const auto id_field = request.find("id");
    if (id_field == request.end()) {
        id_problem = "missing \"id\" (expected " + id_form + ")";
    } else if (!id_field->is_number_integer()) {
        id_problem = wrong_type("id", id_form, *id_field);
    } else if (const auto number = integer_of(*id_field);
               number && *number >= 0 && static_cast<std::uint64_t>(*number) <= kLargestId) {
        id = *number;
    } else {
        id_problem = bad_value("id", id_form, *id_field);
    }

    // Then the version: a request of another version may not even have our kind of id.
    const auto version = request.find("v");
    const std::string version_form = "the protocol version " + std::to_string(kProtocolVersion);
    if (version == request.end()) return error(id, "bad_request", "missing \"v\" (expected " + version_form + ")");
    if (!version->is_number_integer()) return error(id, "bad_request", wrong_type("v", version_form, *version));
    if (const auto number = integer_of(*version); !number || *number != kProtocolVersion) {
        return error(id, "unsupported_version",
                     "protocol version " + dump(*version) + " is not supported (this daemon speaks version " +
                         std::to_string(kProtocolVersion) + ")");
    }
    if (id_problem) return error(std::nullopt, "bad_request", std::move(*id_problem));

    const auto cmd = request.find("cmd");
    if (cmd == request.end()) {
        return error(id, "bad_request", "missing \"cmd\" (expected a command name such as \"status\")");
    }
    if (!cmd->is_string()) {
        return error(id, "bad_request", wrong_type("cmd", "a command name such as \"status\"", *cmd));
    }
    const auto& name = cmd->get_ref<const std::string&>();
    const auto command = std::find_if(std::begin(kCommandTable), std::end(kCommandTable),
                                      [&](const Command& c) { return c.name == name; });
    if (command == std::end(kCommandTable)) {
        return error(id, "unknown_command",
                     "unknown command " + quote(name) + " (" + did_you_mean(name, kCommands) + ")");
    }

    json args = json::object();
    if (const auto field = request.find("args"); field != request.end()) {
        if (!field->is_object()) return error(id, "bad_request", wrong_type("args", "an object", *field));
        args = std::move(*field);
    }
    if (auto problem = arguments_problem(*command, args)) return error(id, "bad_args", std::move(*problem));
    return Request{*id, name, std::move(args)};
}

// `text` with every invalid UTF-8 sequence replaced by U+FFFD.
std::string valid_utf8(const std::string& text) { return json::parse(dump(json(text))).get<std::string>(); }

std::string id_text(std::optional<std::int64_t> id) { return id ? std::to_string(*id) : "null"; }

}  // namespace

std::variant<Request, ProtocolError> parse_request(std::string_view line) {
    try {
        return parse_envelope(line);
    } catch (const std::exception& e) {
        // Out of memory, or a bug: the request still gets an answer.
        return error(std::nullopt, "failed", std::string("cannot read the request: ") + e.what());
    }
}

std::string reply_ok(std::int64_t id, const nlohmann::json& result) {
    return "{\"id\":" + std::to_string(id) + ",\"ok\":true,\"result\":" + dump(result) + "}\n";
}

std::string reply_error(std::optional<std::int64_t> id, std::string_view code, std::string_view message,
                        const nlohmann::json& details) {
    std::string line = "{\"id\":" + id_text(id) + ",\"ok\":false,\"error\":{\"code\":" +
                       dump(json(std::string(code))) + ",\"message\":" + dump(json(std::string(message)));
    if (!details.is_null()) line += ",\"details\":" + dump(details);
    return line + "}}\n";
}

std::string stream_event(std::int64_t id, const nlohmann::json& event) {
    return "{\"id\":" + std::to_string(id) + ",\"event\":" + dump(event) + "}\n";
}

std::string make_request(std::int64_t id, std::string_view cmd, const nlohmann::json& args) {
    return "{\"v\":" + std::to_string(kProtocolVersion) + ",\"id\":" + std::to_string(id) +
           ",\"cmd\":" + dump(json(std::string(cmd))) + ",\"args\":" + dump(args) + "}\n";
}

std::optional<Target> parse_target(std::string_view text, std::string& error) {
    error.clear();
    if (text == "all") return Target{};
    const std::size_t hash = text.find('#');
    const std::string_view service = text.substr(0, hash);
    if (const auto problem = config::service_name_problem(service)) {
        // The problem shows the offending byte as it is, which may not be UTF-8 on its own.
        error = valid_utf8("invalid service name " + quote(service) + " in target " + quote(text) + " " + *problem);
        return std::nullopt;
    }
    if (hash == std::string_view::npos) return Target{std::string(service), std::nullopt};

    const std::string_view digits = text.substr(hash + 1);
    unsigned index = 0;
    const auto [end, status] = std::from_chars(digits.data(), digits.data() + digits.size(), index);
    if (digits.empty() || status != std::errc{} || end != digits.data() + digits.size()) {
        const bool all_digits = !digits.empty() && digits.find_first_not_of("0123456789") == std::string_view::npos;
        error = "invalid instance index in target " + quote(text) + " (expected " +
                (all_digits ? "a number from 0 to " + std::to_string(std::numeric_limits<unsigned>::max())
                            : std::string("a number after '#'")) +
                ", got " + (digits.empty() ? std::string("nothing") : quote(digits)) + ")";
        return std::nullopt;
    }
    return Target{std::string(service), index};
}

}  // namespace corral::protocol
