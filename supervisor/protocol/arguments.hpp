#pragma once
// The arguments of each command: a codec per kind of value (how one argument is read from its JSON value,
// checked, and written back, and the form an error message asks for), and the list of arguments each command
// takes, in the order they are checked (Fields<Command>). Internal to supervisor/protocol/: read_command and
// encode_arguments are built on these two tables, so a command's arguments are spelt in one place.
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <variant>

#include <nlohmann/json.hpp>

#include "supervisor/protocol/commands.hpp"

namespace corral::protocol::detail {

// Why a value was refused: not the JSON type the argument takes, or a value of that type out of bounds.
enum class Mismatch { wrong_type, bad_value };
template <typename T>
using Read = std::variant<T, Mismatch>;

// How one kind of argument is read from its JSON value and checked, and written back; `form` is what an
// error message says the argument must be.
template <typename V>
struct Codec {
    using Value = V;
    std::string_view form;
    Read<V> (*read)(const nlohmann::json& value);
    nlohmann::json (*write)(const V& value);
};

extern const Codec<Target> kTargetCodec;
extern const Codec<SignalArg> kSignalCodec;
extern const Codec<unsigned> kLinesCodec;
extern const Codec<LogStream> kStreamCodec;
extern const Codec<bool> kFollowCodec;
extern const Codec<bool> kWaitCodec;
extern const Codec<std::string> kShowCodec;
extern const Codec<std::chrono::milliseconds> kMillisCodec;
extern const Codec<std::int64_t> kUnixMsCodec;

// One argument of a command: its name on the wire, where it lives in the command's struct, and its codec.
// A member of type std::optional<Value> is an argument the request may leave out.
template <typename Command, typename Member, typename Value>
struct Field {
    std::string_view name;
    Member Command::*member;
    const Codec<Value>* codec;
};

template <typename Command, typename Member, typename Value>
constexpr Field<Command, Member, Value> field(std::string_view name, Member Command::*member,
                                              const Codec<Value>& codec) {
    return {name, member, &codec};
}

// Whether a Field's member is an argument the request may leave out.
template <typename T>
inline constexpr bool kOptional = false;
template <typename T>
inline constexpr bool kOptional<std::optional<T>> = true;

// The arguments of a command, in the order they are checked and listed in messages.
template <typename T>
struct Fields {
    static constexpr std::tuple<> list{};
};
template <CommandName Name>
struct Fields<TargetCommand<Name>> {
    static constexpr auto list = std::tuple{field("target", &TargetCommand<Name>::target, kTargetCodec)};
};
template <CommandName Name>
struct Fields<ChangeCommand<Name>> {
    using C = ChangeCommand<Name>;
    static constexpr auto list = std::tuple{field("target", &C::target, kTargetCodec), field("wait", &C::wait, kWaitCodec),
                                            field("timeout_ms", &C::timeout, kMillisCodec)};
};
template <>
struct Fields<Status> {
    static constexpr auto list = std::tuple{field("target", &Status::target, kTargetCodec)};
};
template <>
struct Fields<Reload> {
    static constexpr auto list =
        std::tuple{field("target", &Reload::target, kTargetCodec), field("wait", &Reload::wait, kWaitCodec),
                   field("timeout_ms", &Reload::timeout, kMillisCodec)};
};
template <>
struct Fields<Signal> {
    static constexpr auto list =
        std::tuple{field("target", &Signal::target, kTargetCodec), field("signal", &Signal::signal, kSignalCodec),
                   field("wait", &Signal::wait, kWaitCodec)};
};
template <>
struct Fields<Cool> {
    static constexpr auto list =
        std::tuple{field("target", &Cool::target, kTargetCodec), field("for_ms", &Cool::duration, kMillisCodec)};
};
template <>
struct Fields<Logs> {
    static constexpr auto list =
        std::tuple{field("target", &Logs::target, kTargetCodec), field("lines", &Logs::lines, kLinesCodec),
                   field("stream", &Logs::stream, kStreamCodec), field("follow", &Logs::follow, kFollowCodec),
                   field("since_ms", &Logs::since_ms, kUnixMsCodec)};
};
template <>
struct Fields<Postmortem> {
    static constexpr auto list =
        std::tuple{field("target", &Postmortem::target, kTargetCodec), field("show", &Postmortem::show, kShowCodec)};
};

}  // namespace corral::protocol::detail

// add and delete.
#include "supervisor/protocol/service_arguments.hpp"
