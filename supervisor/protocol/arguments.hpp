#pragma once
// The arguments of each command: a codec per kind of value (how one argument is read from its JSON value,
// checked, and written back, and the form an error message asks for), and the list of arguments each command
// takes, in the order they are checked (Fields<Command>). Internal to supervisor/protocol/: parse_command and
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

struct TargetCodec {
    using Value = Target;
    static constexpr std::string_view form = "a service name, NAME#INDEX or \"all\"";
    static Read<Value> read(const nlohmann::json& value);
    static nlohmann::json write(const Value& value);
};
struct SignalCodec {
    using Value = SignalArg;
    static constexpr std::string_view form = "a signal name such as \"SIGUSR2\" or \"USR2\", or a signal number";
    static Read<Value> read(const nlohmann::json& value);
    static nlohmann::json write(const Value& value);
};
struct LinesCodec {
    using Value = unsigned;
    static constexpr std::string_view form = "an integer from 0 to 10000";
    static Read<Value> read(const nlohmann::json& value);
    static nlohmann::json write(const Value& value);
};
struct StreamCodec {
    using Value = LogStream;
    static constexpr std::string_view form = "one of \"out\", \"err\" or \"both\"";
    static Read<Value> read(const nlohmann::json& value);
    static nlohmann::json write(const Value& value);
};
struct FollowCodec {
    using Value = bool;
    static constexpr std::string_view form = "a boolean";
    static Read<Value> read(const nlohmann::json& value);
    static nlohmann::json write(const Value& value);
};
struct ShowCodec {
    using Value = std::string;
    static constexpr std::string_view form = "a post-mortem id or a prefix of one";
    static Read<Value> read(const nlohmann::json& value);
    static nlohmann::json write(const Value& value);
};
struct MillisCodec {
    using Value = std::chrono::milliseconds;
    static constexpr std::string_view form = "an integer from 1 to 86400000 (milliseconds)";
    static Read<Value> read(const nlohmann::json& value);
    static nlohmann::json write(const Value& value);
};

// One argument of a command: its name on the wire, where it lives in the command's struct, and its codec.
// A member of type std::optional<Codec::Value> is an argument the request may leave out.
template <typename Codec, typename Command, typename Member>
struct Field {
    using CodecType = Codec;
    std::string_view name;
    Member Command::*member;
};

template <typename Codec, typename Command, typename Member>
constexpr Field<Codec, Command, Member> field(std::string_view name, Member Command::*member) {
    return {name, member};
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
    static constexpr auto list = std::tuple{field<TargetCodec>("target", &TargetCommand<Name>::target)};
};
template <>
struct Fields<Signal> {
    static constexpr auto list =
        std::tuple{field<TargetCodec>("target", &Signal::target), field<SignalCodec>("signal", &Signal::signal)};
};
template <>
struct Fields<Cool> {
    static constexpr auto list =
        std::tuple{field<TargetCodec>("target", &Cool::target), field<MillisCodec>("for_ms", &Cool::duration)};
};
template <>
struct Fields<Logs> {
    static constexpr auto list = std::tuple{
        field<TargetCodec>("target", &Logs::target), field<LinesCodec>("lines", &Logs::lines),
        field<StreamCodec>("stream", &Logs::stream), field<FollowCodec>("follow", &Logs::follow)};
};
template <>
struct Fields<Postmortem> {
    static constexpr auto list = std::tuple{field<TargetCodec>("target", &Postmortem::target),
                                            field<ShowCodec>("show", &Postmortem::show)};
};

}  // namespace corral::protocol::detail
