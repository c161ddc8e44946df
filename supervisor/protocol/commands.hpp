#pragma once
// The commands of the control protocol as types: one struct per command, naming itself (`name`, its "cmd" on
// the wire) and holding its arguments already read and checked. `Command` is the variant of them all, and
// the list of command names (kCommands) is derived from it. parse_request (request.hpp) makes a Command from
// a request line and encode_request turns one back into that line; the daemon and the CLI only ever handle
// these types, never argument names.
//
// An optional argument that a request may leave out is a std::optional here: the daemon applies the
// default (Logs::line_count(), ...), and a request encodes back to exactly the arguments it was sent with.
#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>

#include "supervisor/protocol/service_commands.hpp"
#include "supervisor/protocol/wait_args.hpp"
#include "supervisor/protocol/target.hpp"

namespace corral::protocol {

inline constexpr std::int64_t kMostCoolMs = 86'400'000;
inline constexpr std::int64_t kMostWaitMs = 86'400'000;
inline constexpr unsigned kMostLogLines = 10'000;

enum class LogStream { out, err, both };

// A signal as the request gave it: its number, and the text when it came as a string ("SIGUSR2", "USR2"
// or "9"; nullopt when it came as a JSON number), so that the request encodes back the same way.
struct SignalArg {
    int number = 0;
    std::optional<std::string> text;
    bool operator==(const SignalArg&) const = default;
};

// A command's name as a template argument: NamedCommand<"status">.
template <std::size_t N>
struct CommandName {
    char text[N]{};
    constexpr CommandName(const char (&name)[N]) { std::copy_n(name, N, text); }
    constexpr std::string_view view() const { return {text, N - 1}; }
};

// A command without arguments.
template <CommandName Name>
struct NamedCommand {
    static constexpr std::string_view name = Name.view();
    bool operator==(const NamedCommand&) const = default;
};

// A command whose one argument is its target.
template <CommandName Name>
struct TargetCommand {
    static constexpr std::string_view name = Name.view();
    Target target;
    bool operator==(const TargetCommand&) const = default;
};

// A command that changes the state of its target's instances and may wait until they got there.
template <CommandName Name>
struct ChangeCommand {
    static constexpr std::string_view name = Name.view();
    Target target;
    // Left out of an aggregate initializer ({target}), they are not asked for: the request of old.
    std::optional<bool> wait = std::nullopt;
    std::optional<std::chrono::milliseconds> timeout = std::nullopt;  // "timeout_ms", 1 ms to kMostWaitMs

    bool waits() const { return wait.value_or(false); }
    std::optional<std::string> problem() const { return wait_problem(wait, timeout); }
    bool operator==(const ChangeCommand&) const = default;
};

using Version = NamedCommand<"version">;
// Every instance, or only those of `target` (not_found when it names none).
struct Status {
    static constexpr std::string_view name = "status";
    std::optional<Target> target = std::nullopt;
    bool operator==(const Status&) const = default;
};
using Start = ChangeCommand<"start">;
using Stop = ChangeCommand<"stop">;
using Restart = ChangeCommand<"restart">;
using Heat = TargetCommand<"heat">;
using Events = NamedCommand<"events">;
using Shutdown = NamedCommand<"shutdown">;
using Flush = TargetCommand<"flush">;  // empties the logs of the target's instances
// Everything known about one service or instance: its spec, instances, last exits, post-mortems.
using Describe = TargetCommand<"describe">;
// The metrics in Prometheus' text format, as GET /metrics serves them: {"text": "..."}.
using Metrics = NamedCommand<"metrics">;

struct Reload {
    static constexpr std::string_view name = "reload";
    std::optional<bool> wait = std::nullopt;
    std::optional<std::chrono::milliseconds> timeout = std::nullopt;
    // A service to roll (pm2's `reload NAME`): its instances are replaced one by one even when the file did
    // not change them. Without one the file is re-read and applied, and only what changed rolls.
    std::optional<Target> target = std::nullopt;

    bool waits() const { return wait.value_or(false); }
    std::optional<std::string> problem() const { return wait_problem(wait, timeout); }
    bool operator==(const Reload&) const = default;
};
// Sent at once either way; with "wait": true an instance that is not running is refused, not skipped,
// and the reply says which process got the signal.
struct Signal {
    static constexpr std::string_view name = "signal";
    Target target;
    SignalArg signal;
    std::optional<bool> wait = std::nullopt;
    bool waits() const { return wait.value_or(false); }
    bool operator==(const Signal&) const = default;
};
struct Cool {
    static constexpr std::string_view name = "cool";
    Target target;
    std::optional<std::chrono::milliseconds> duration;  // "for_ms", 1 ms to kMostCoolMs; nullopt: until heat
    bool operator==(const Cool&) const = default;
};
struct Logs {
    static constexpr std::string_view name = "logs";
    static constexpr unsigned kDefaultLines = 100;
    Target target;
    std::optional<unsigned> lines;  // 0 to kMostLogLines
    std::optional<LogStream> stream;
    std::optional<bool> follow;
    std::optional<std::int64_t> since_ms = std::nullopt;  // only lines that arrived at or after (unix ms)

    unsigned line_count() const { return lines.value_or(kDefaultLines); }
    LogStream streams() const { return stream.value_or(LogStream::both); }
    bool follows() const { return follow.value_or(false); }
    bool operator==(const Logs&) const = default;
};
struct Postmortem {
    static constexpr std::string_view name = "postmortem";
    std::optional<Target> target;
    std::optional<std::string> show;  // a bundle id or a prefix of one, never empty
    bool operator==(const Postmortem&) const = default;
};

using Command = std::variant<Version, Status, Start, Stop, Restart, Signal, Cool, Heat, Reload, Logs, Postmortem, Events,
                             Describe, Shutdown, Flush, Add, Delete, Services, Metrics>;

template <typename Variant>
struct CommandNames;
template <typename... Commands>
struct CommandNames<std::variant<Commands...>> {
    static constexpr std::array<std::string_view, sizeof...(Commands)> value{Commands::name...};
};
// Every command name, in the order of Command.
inline constexpr auto kCommands = CommandNames<Command>::value;

inline std::string_view name_of(const Command& command) {
    return std::visit([](const auto& c) { return std::remove_cvref_t<decltype(c)>::name; }, command);
}

}  // namespace corral::protocol
