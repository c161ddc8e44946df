#pragma once
// The arguments of add and delete (service_commands.hpp): their codecs and their lists, as arguments.hpp
// has them for the other commands. Internal to supervisor/protocol/.
#include <map>
#include <string>
#include <vector>

#include "supervisor/protocol/arguments.hpp"

namespace corral::protocol::detail {

extern const Codec<std::string> kServiceNameCodec;
extern const Codec<std::vector<std::string>> kArgvCodec;
extern const Codec<std::string> kCwdCodec;
extern const Codec<std::map<std::string, std::string>> kEnvCodec;
extern const Codec<unsigned> kInstancesCodec;
extern const Codec<policies::RestartMode> kRestartCodec;

template <>
struct Fields<Add> {
    static constexpr auto list =
        std::tuple{field("name", &Add::service, kServiceNameCodec), field("command", &Add::command, kArgvCodec),
                   field("cwd", &Add::cwd, kCwdCodec),           field("env", &Add::env, kEnvCodec),
                   field("instances", &Add::instances, kInstancesCodec), field("restart", &Add::restart, kRestartCodec),
                   field("wait", &Add::wait, kWaitCodec),        field("timeout_ms", &Add::timeout, kMillisCodec)};
};
template <>
struct Fields<Delete> {
    static constexpr auto list =
        std::tuple{field("name", &Delete::service, kServiceNameCodec), field("wait", &Delete::wait, kWaitCodec),
                   field("timeout_ms", &Delete::timeout, kMillisCodec)};
};

}  // namespace corral::protocol::detail
