#include "supervisor/protocol/arguments.hpp"

#include <algorithm>
#include <cstdint>
#include <iterator>

#include "policies/signal_names.hpp"
#include "supervisor/protocol/messages.hpp"

namespace corral::protocol::detail {
namespace {

using nlohmann::json;

constexpr std::string_view kStreamNames[] = {"out", "err", "both"};  // in the order of LogStream

// An integer JSON number from `least` to `most`.
Read<std::int64_t> integer_within(const json& value, std::int64_t least, std::int64_t most) {
    if (!value.is_number_integer()) return Mismatch::wrong_type;
    const auto number = integer_of(value);
    if (!number || *number < least || *number > most) return Mismatch::bad_value;
    return *number;
}

// A Read<To> from a Read<From>, converting the value.
template <typename To, typename From>
Read<To> convert(const Read<From>& read) {
    if (const auto* mismatch = std::get_if<Mismatch>(&read)) return *mismatch;
    return static_cast<To>(std::get<From>(read));
}

Read<Target> read_target(const json& value) {
    if (!value.is_string()) return Mismatch::wrong_type;
    std::string ignored;
    auto target = parse_target(value.get_ref<const std::string&>(), ignored);
    if (!target) return Mismatch::bad_value;
    return std::move(*target);
}

json write_target(const Target& value) { return target_text(value); }

Read<SignalArg> read_signal(const json& value) {
    if (value.is_string()) {
        const auto& text = value.get_ref<const std::string&>();
        const auto number = policies::signal_from_name(text);
        if (!number) return Mismatch::bad_value;
        return SignalArg{*number, text};
    }
    const auto number = integer_within(value, 1, 99);
    if (const auto* mismatch = std::get_if<Mismatch>(&number)) return *mismatch;
    const auto known = policies::signal_from_name(std::to_string(std::get<std::int64_t>(number)));
    if (!known) return Mismatch::bad_value;
    return SignalArg{*known, std::nullopt};
}

json write_signal(const SignalArg& value) { return value.text ? json(*value.text) : json(value.number); }

Read<unsigned> read_lines(const json& value) {
    return convert<unsigned>(integer_within(value, 0, kMostLogLines));
}

json write_lines(const unsigned& value) { return value; }

Read<LogStream> read_stream(const json& value) {
    if (!value.is_string()) return Mismatch::wrong_type;
    const auto found = std::find(std::begin(kStreamNames), std::end(kStreamNames), value.get_ref<const std::string&>());
    if (found == std::end(kStreamNames)) return Mismatch::bad_value;
    return static_cast<LogStream>(found - std::begin(kStreamNames));
}

json write_stream(const LogStream& value) { return std::string(kStreamNames[static_cast<std::size_t>(value)]); }

Read<bool> read_bool(const json& value) {
    if (!value.is_boolean()) return Mismatch::wrong_type;
    return value.get<bool>();
}

json write_bool(const bool& value) { return value; }

Read<std::string> read_show(const json& value) {
    if (!value.is_string()) return Mismatch::wrong_type;
    if (value.get_ref<const std::string&>().empty()) return Mismatch::bad_value;
    return value.get<std::string>();
}

json write_show(const std::string& value) { return value; }

Read<std::chrono::milliseconds> read_millis(const json& value) {
    return convert<std::chrono::milliseconds>(integer_within(value, 1, kMostCoolMs));
}

json write_millis(const std::chrono::milliseconds& value) { return value.count(); }

Read<std::int64_t> read_unix_ms(const json& value) { return integer_within(value, 0, INT64_MAX); }

json write_unix_ms(const std::int64_t& value) { return value; }

}  // namespace

const Codec<Target> kTargetCodec{"a service name, NAME#INDEX or \"all\"", read_target, write_target};
const Codec<SignalArg> kSignalCodec{"a signal name such as \"SIGUSR2\" or \"USR2\", or a signal number", read_signal,
                                    write_signal};
const Codec<unsigned> kLinesCodec{"an integer from 0 to 10000", read_lines, write_lines};
const Codec<LogStream> kStreamCodec{"one of \"out\", \"err\" or \"both\"", read_stream, write_stream};
const Codec<bool> kFollowCodec{"a boolean", read_bool, write_bool};
const Codec<bool> kWaitCodec{"a boolean", read_bool, write_bool};
const Codec<std::string> kShowCodec{"a post-mortem id or a prefix of one", read_show, write_show};
static_assert(kMostWaitMs == kMostCoolMs, "for_ms and timeout_ms share one codec");
const Codec<std::int64_t> kUnixMsCodec{"an integer number of milliseconds since 1970-01-01 UTC", read_unix_ms,
                                      write_unix_ms};
const Codec<std::chrono::milliseconds> kMillisCodec{"an integer from 1 to 86400000 (milliseconds)", read_millis,
                                                    write_millis};

}  // namespace corral::protocol::detail
