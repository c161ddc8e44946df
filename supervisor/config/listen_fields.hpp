#pragma once
// Reading of a service's listening sockets into a ListenSpec (used by service_fields.cpp):
//   listen = ["0.0.0.0:3000", "[::]:3000", ":8080", 8081, "unix:/run/app/web.sock",
//             { address = "127.0.0.1:9000", name = "admin" }]
//     HOST:PORT with an IPv4 address, [V6]:PORT, :PORT or PORT for every address (dual-stack), unix:PATH
//     (relative to the file's directory); `name` is the socket's LISTEN_FDNAMES entry.
//   backlog = 511                       the accept queue's length, 1 to 65535
//   socket = { mode = "0660", user = "www-data", group = "www-data" }   unix sockets only
//   listen_adopt = true                 the Node agent maps server.listen() onto the held sockets
// An address listed twice, or a port that no address can take, is an error here; one listed by two
// services is found by load_config (check_listen_owners). A wrong key is recorded in the Diagnostics and
// the spec keeps its defaults.
#include <string>
#include <vector>

#include "supervisor/config/service_spec.hpp"
#include "supervisor/config/toml_fields.hpp"

namespace corral::config {

void read_listen(Diagnostics& diagnostics, TableReader& service, const std::filesystem::path& base_dir,
                 ListenSpec& out);

// Every address is held by one service only: an error at the second service's entry otherwise. Also
// names the sockets without a `name` after their service.
void check_listen_owners(Diagnostics& diagnostics, std::vector<ServiceSpec>& services);

}  // namespace corral::config
