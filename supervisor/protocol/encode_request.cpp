// encode_request: a typed Command back to its request line, through the same argument tables that
// read_command reads with (arguments.hpp).
#include <tuple>
#include <type_traits>

#include "supervisor/protocol/arguments.hpp"
#include "supervisor/protocol/messages.hpp"
#include "supervisor/protocol/request.hpp"

namespace corral::protocol {
namespace {

using nlohmann::json;

template <typename T, typename Member, typename Value>
void write_field(const detail::Field<T, Member, Value>& field, const T& command, json& args) {
    const Member& value = command.*field.member;
    if constexpr (detail::kOptional<Member>) {
        if (value) args[std::string(field.name)] = field.codec->write(*value);
    } else {
        args[std::string(field.name)] = field.codec->write(value);
    }
}

}  // namespace

json encode_arguments(const Command& command) {
    json args = json::object();
    std::visit(
        [&](const auto& typed) {
            using T = std::remove_cvref_t<decltype(typed)>;
            std::apply([&](const auto&... field) { (write_field(field, typed, args), ...); }, detail::Fields<T>::list);
        },
        command);
    return args;
}

std::string encode_request(std::int64_t id, const Command& command) {
    return make_request(id, name_of(command), encode_arguments(command));
}

std::string make_request(std::int64_t id, std::string_view cmd, const json& args) {
    return "{\"v\":" + std::to_string(kProtocolVersion) + ",\"id\":" + std::to_string(id) +
           ",\"cmd\":" + detail::quoted_name(cmd) + ",\"args\":" + detail::dump(args) + "}\n";
}

}  // namespace corral::protocol
