#include "supervisor/protocol/arguments.hpp"

#include <algorithm>
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

}  // namespace

Read<Target> TargetCodec::read(const json& value) {
    if (!value.is_string()) return Mismatch::wrong_type;
    std::string ignored;
    auto target = parse_target(value.get_ref<const std::string&>(), ignored);
    if (!target) return Mismatch::bad_value;
    return std::move(*target);
}

json TargetCodec::write(const Target& value) { return target_text(value); }

Read<SignalArg> SignalCodec::read(const json& value) {
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

json SignalCodec::write(const SignalArg& value) { return value.text ? json(*value.text) : json(value.number); }

Read<unsigned> LinesCodec::read(const json& value) {
    return convert<unsigned>(integer_within(value, 0, kMostLogLines));
}

json LinesCodec::write(const unsigned& value) { return value; }

Read<LogStream> StreamCodec::read(const json& value) {
    if (!value.is_string()) return Mismatch::wrong_type;
    const auto found = std::find(std::begin(kStreamNames), std::end(kStreamNames), value.get_ref<const std::string&>());
    if (found == std::end(kStreamNames)) return Mismatch::bad_value;
    return static_cast<LogStream>(found - std::begin(kStreamNames));
}

json StreamCodec::write(const LogStream& value) { return std::string(kStreamNames[static_cast<std::size_t>(value)]); }

Read<bool> FollowCodec::read(const json& value) {
    if (!value.is_boolean()) return Mismatch::wrong_type;
    return value.get<bool>();
}

json FollowCodec::write(const bool& value) { return value; }

Read<std::string> ShowCodec::read(const json& value) {
    if (!value.is_string()) return Mismatch::wrong_type;
    if (value.get_ref<const std::string&>().empty()) return Mismatch::bad_value;
    return value.get<std::string>();
}

json ShowCodec::write(const std::string& value) { return value; }

Read<std::chrono::milliseconds> MillisCodec::read(const json& value) {
    return convert<std::chrono::milliseconds>(integer_within(value, 1, kMostCoolMs));
}

json MillisCodec::write(const std::chrono::milliseconds& value) { return value.count(); }

}  // namespace corral::protocol::detail
