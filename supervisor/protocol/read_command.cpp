#include "supervisor/protocol/read_command.hpp"

#include <algorithm>
#include <array>
#include <optional>
#include <utility>

#include "supervisor/protocol/arguments.hpp"
#include "supervisor/protocol/messages.hpp"

namespace corral::protocol::detail {
namespace {

using nlohmann::json;

template <typename T>
constexpr auto argument_names() {
    return std::apply([](const auto&... field) { return std::array<std::string_view, sizeof...(field)>{field.name...}; },
                      Fields<T>::list);
}

// The message for the first argument in `args` that T does not take.
template <typename T>
std::optional<std::string> unknown_argument(const json& args) {
    static constexpr auto names = argument_names<T>();
    for (auto item = args.begin(); item != args.end(); ++item) {
        const std::string& name = item.key();
        if (std::find(names.begin(), names.end(), name) != names.end()) continue;
        const std::string message = "unknown argument " + quote(name) + " for " + quoted_name(T::name);
        if (names.empty()) return message + " (it takes no arguments)";
        return message + " (" + did_you_mean(name, names) + ")";
    }
    return std::nullopt;
}

// Reads one argument into `command`; false, with the message in `problem`, when it is missing or refused.
template <typename T, typename Member, typename Value>
bool read_field(const Field<T, Member, Value>& field, const json& args, T& command, std::optional<std::string>& problem) {
    const auto found = args.find(field.name);
    if (found == args.end()) {
        if constexpr (kOptional<Member>) return true;
        problem = "missing argument " + quoted_name(field.name) + " for " + quoted_name(T::name) + " (expected " +
                  std::string(field.codec->form) + ")";
        return false;
    }
    auto read = field.codec->read(*found);
    if (auto* value = std::get_if<Value>(&read)) {
        command.*field.member = std::move(*value);
        return true;
    }
    problem = std::get<Mismatch>(read) == Mismatch::wrong_type ? wrong_type(field.name, field.codec->form, *found)
                                                                : bad_value(field.name, field.codec->form, *found);
    return false;
}

template <typename T>
std::variant<Command, CommandProblem> read_as(const json& args) {
    if (auto unknown = unknown_argument<T>(args)) return CommandProblem{ErrorCode::bad_args, std::move(*unknown)};
    T command{};
    std::optional<std::string> problem;
    // Stops at the first problem; a command without arguments reads nothing.
    std::apply([&](const auto&... field) { static_cast<void>((read_field(field, args, command, problem) && ...)); },
               Fields<T>::list);
    if (problem) return CommandProblem{ErrorCode::bad_args, std::move(*problem)};
    // Arguments that are each fine but not together.
    if constexpr (requires { command.problem(); }) {
        if (auto together = command.problem()) return CommandProblem{ErrorCode::bad_args, std::move(*together)};
    }
    return Command{std::move(command)};
}

using Reader = std::variant<Command, CommandProblem> (*)(const json& args);

template <std::size_t... I>
constexpr std::array<Reader, sizeof...(I)> readers(std::index_sequence<I...>) {
    return {&read_as<std::variant_alternative_t<I, Command>>...};
}

// Reader i reads the command named kCommands[i].
constexpr auto kReaders = readers(std::make_index_sequence<std::variant_size_v<Command>>{});

}  // namespace

std::variant<Command, CommandProblem> read_command(std::string_view name, const json& args) {
    const auto known = std::find(kCommands.begin(), kCommands.end(), name);
    if (known == kCommands.end()) {
        return CommandProblem{ErrorCode::unknown_command,
                              "unknown command " + quote(name) + " (" + did_you_mean(name, kCommands) + ")"};
    }
    return kReaders[static_cast<std::size_t>(known - kCommands.begin())](args);
}

}  // namespace corral::protocol::detail
