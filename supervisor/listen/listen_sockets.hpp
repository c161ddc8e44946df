#pragma once
// The listening sockets the daemon holds for its services (`listen` in the service file). They are bound
// before any instance starts and stay open for as long as their address stays in the file: across restarts,
// rollouts and reloads, so that the kernel's accept queue never closes and a connection that arrives while
// no instance accepts waits in it. Every instance of the service inherits them (systemd's protocol, set up
// by the exec shim); the daemon itself never accepts.
//
// apply() makes the held set the one the services list: it binds the new addresses first and, when any of
// them fails, closes those again and changes nothing (the errors name the file, line and column of the
// address); otherwise it closes the addresses that are gone and updates the backlog and a unix socket's
// mode and owner of those kept. A unix socket's file is removed when corral closes it (if it is still the
// one corral made); a stale socket file (nobody accepts on it) is replaced, anything else at the path is an
// error.
#include <sys/types.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "base/sys_result.hpp"
#include "base/unique_fd.hpp"
#include "supervisor/config/service_spec.hpp"

namespace corral::supervisor {

class ListenSockets {
public:
    ListenSockets() = default;
    ~ListenSockets();
    ListenSockets(const ListenSockets&) = delete;
    ListenSockets& operator=(const ListenSockets&) = delete;

    // `file`: the service file, for the errors' places ("" for `corral run`). Returns the errors, one per
    // address that could not be bound; then nothing changed.
    std::vector<std::string> apply(const std::vector<config::ServiceSpec>& services, const std::filesystem::path& file);
    // The descriptors of `spec`'s addresses, in its order; empty when any is not held.
    std::vector<int> fds(const config::ListenSpec& spec) const;
    // Closes every socket (at shutdown, once the instances are gone).
    void close_all();

private:
    struct Held {
        UniqueFd fd;
        std::string bound_as;   // the address actually bound ("0.0.0.0:3000" for ":3000" without IPv6)
        std::filesystem::path path;  // a unix socket's file, removed at close
        dev_t device = 0;
        ino_t inode = 0;
        unsigned backlog = 0;
    };

    void close(Held& held);
    void update(Held& held, const config::ListenSpec& spec) const;

    std::map<std::string, Held> held_;  // by ListenAddress::text
};

// Binds and listens on `address` (CLOEXEC; SO_REUSEADDR for tcp). Returns the socket or the reason.
Result<UniqueFd> open_listening_socket(const config::ListenAddress& address, const config::ListenSpec& spec,
                                       std::string& bound_as);

}  // namespace corral::supervisor
