#pragma once
// The listening sockets of a service, as the service file gives them (`listen`, `backlog`, `socket`,
// `listen_adopt`): the daemon binds them before any instance starts and every instance inherits them
// (supervisor/listen/listen_sockets.hpp).
#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace corral::config {

struct ListenAddress {
    // As corral names it everywhere (CORRAL_LISTEN, status, logs): "0.0.0.0:3000", "[::]:3000",
    // "unix:/run/app/web.sock".
    std::string text;
    std::string host;          // tcp: "0.0.0.0", "::", "127.0.0.1"; empty for a unix socket
    std::uint16_t port = 0;    // tcp
    std::filesystem::path path;  // unix: absolute
    bool any = false;          // written as ":3000" or 3000: every address, dual-stack "[::]" (0.0.0.0 without IPv6)
    bool v6only = false;       // "[::]" beside "0.0.0.0" on the same port: each takes its own family
    std::string name;          // its LISTEN_FDNAMES entry (default: the service's name, as systemd does)
    unsigned line = 0;         // of the entry in the service file, for bind errors; not part of ==
    unsigned column = 0;

    bool tcp() const { return path.empty(); }
    bool operator==(const ListenAddress& other) const {
        return text == other.text && any == other.any && v6only == other.v6only && name == other.name;
    }
};

struct ListenSpec {
    std::vector<ListenAddress> addresses;  // in file order: the instances get them at fds 3, 4, ...
    unsigned backlog = 511;                // as Node's default
    // A unix socket's permissions and owner (socket = { mode = "0660", user = "www-data", group = "www-data" }).
    std::optional<mode_t> mode;
    std::optional<uid_t> user;
    std::optional<gid_t> group;
    // Node programs get the agent (NODE_OPTIONS=--require ...) that maps their server.listen() on a held
    // address onto the inherited socket; false: the program reads LISTEN_FDS itself.
    bool adopt = true;

    bool operator==(const ListenSpec&) const = default;
};

}  // namespace corral::config
