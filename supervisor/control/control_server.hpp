#pragma once
// The daemon's control socket, <state_dir>/corral.sock: a Unix stream socket created with mode 0600 (the
// umask is set around bind(), so there is no moment at which it is wider), accepting only peers whose uid
// (SO_PEERCRED) is the daemon's or root's; others get `forbidden` and are closed.
//
// A socket file left by a daemon that died is replaced; one that still answers is another daemon's, and
// listen() fails rather than steal it. Connections are accepted even at the descriptor limit
// (socket_acceptor.hpp).
#include <uv.h>

#include <filesystem>
#include <functional>
#include <list>
#include <memory>
#include <string>

#include "base/sys_result.hpp"
#include "base/uv_handle.hpp"
#include "supervisor/control/control_connection.hpp"
#include "supervisor/control/socket_acceptor.hpp"

namespace corral::supervisor {

class ControlServer {
public:
    ControlServer(uv_loop_t* loop, ControlHandler& handler);
    ~ControlServer();
    ControlServer(const ControlServer&) = delete;
    ControlServer& operator=(const ControlServer&) = delete;

    Status listen(const std::filesystem::path& socket);
    // Closes the listener and every client, and removes the socket file.
    void close();

    // Every open connection, for broadcasting stream events.
    template <typename Fn>
    void for_each_client(Fn&& fn) {
        for (auto& client : clients_) {
            if (!client->closed()) fn(*client);
        }
    }
    std::size_t client_count() const;

private:
    static void on_prune(uv_timer_t* timer);
    void accept(int fd);
    void prune();

    uv_loop_t* loop_;
    ControlHandler& handler_;
    std::filesystem::path path_;
    UvHandle<uv_pipe_t> listener_;  // owns the listening descriptor; acceptor_ accepts on it
    SocketAcceptor acceptor_;
    UvHandle<uv_timer_t> prune_timer_;
    std::list<std::unique_ptr<ControlConnection>> clients_;
};

// Binds `path` even when it is longer than sun_path allows, by binding or connecting to its file name from
// inside its directory.
int bind_unix_path(uv_pipe_t* pipe, const std::filesystem::path& path);

}  // namespace corral::supervisor
