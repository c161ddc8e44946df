#include "supervisor/control/control_server.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/unique_fd.hpp"

namespace corral::supervisor {
namespace {

constexpr uint64_t kPruneMs = 1'000;

// Whether something answers at `path` (a live daemon), with a plain blocking connect.
bool someone_listens(const std::filesystem::path& path) {
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd) return false;
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    const std::string text = path.string();
    if (text.size() >= sizeof address.sun_path) return false;
    std::memcpy(address.sun_path, text.c_str(), text.size() + 1);
    return ::connect(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
}

}  // namespace

int bind_unix_path(uv_pipe_t* pipe, const std::filesystem::path& path) {
    if (path.string().size() < sizeof(sockaddr_un::sun_path)) return uv_pipe_bind(pipe, path.c_str());
    // Too long for sun_path: bind the file name from inside its directory.
    UniqueFd here(::open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!here || ::chdir(path.parent_path().c_str()) != 0) return -errno;
    const int rc = uv_pipe_bind(pipe, path.filename().c_str());
    if (::fchdir(here.get()) != 0) spdlog::error("cannot return to the working directory: {}", std::strerror(errno));
    return rc;
}

ControlServer::ControlServer(uv_loop_t* loop, ControlHandler& handler)
    : loop_(loop), handler_(handler), acceptor_(loop, [this](int fd) { accept(fd); }) {}

ControlServer::~ControlServer() { close(); }

Status ControlServer::listen(const std::filesystem::path& socket) {
    path_ = socket;
    if (std::filesystem::exists(socket)) {
        if (someone_listens(socket)) {
            return with_hint(sys_error("listen on", socket.string(), EADDRINUSE),
                             "another corral daemon answers there; stop it first (corral shutdown)");
        }
        ::unlink(socket.c_str());  // left by a daemon that died
    }
    if (const int rc = listener_.init(uv_pipe_init, loop_, 0); rc < 0) return sys_error("listen on", socket.string(), -rc);
    listener_.get()->data = this;
    const mode_t previous = ::umask(0177);
    const int bound = bind_unix_path(listener_.get(), socket);
    ::umask(previous);
    if (bound < 0) {
        listener_.close();
        return sys_error("bind", socket.string(), -bound);
    }
    // A burst of clients (1000 at once) must queue, not be refused: the kernel caps this at somaxconn.
    uv_os_fd_t fd = -1;
    if (uv_fileno(listener_.base(), &fd) != 0 || ::listen(fd, SOMAXCONN) != 0) {
        const int code = errno;
        listener_.close();
        return sys_error("listen on", socket.string(), code);
    }
    if (const int rc = acceptor_.start(fd); rc < 0) {
        acceptor_.close();
        listener_.close();
        return sys_error("listen on", socket.string(), -rc);
    }
    if (prune_timer_.init(uv_timer_init, loop_) == 0) {
        prune_timer_.get()->data = this;
        uv_timer_start(prune_timer_.get(), on_prune, kPruneMs, kPruneMs);
        uv_unref(prune_timer_.base());
    }
    return {};
}

void ControlServer::close() {
    acceptor_.close();
    if (listener_) {
        listener_.close();
        ::unlink(path_.c_str());
    }
    prune_timer_.close();
    for (auto& client : clients_) client->close();
    clients_.clear();
}

std::size_t ControlServer::client_count() const {
    std::size_t count = 0;
    for (const auto& client : clients_) count += client->closed() ? 0 : 1;
    return count;
}

void ControlServer::accept(int fd) {
    auto client = std::make_unique<ControlConnection>(handler_, loop_);
    if (client->pipe() == nullptr || uv_pipe_open(client->pipe(), fd) < 0) {
        ::close(fd);
        return;
    }
    ucred peer{};
    socklen_t length = sizeof peer;
    const bool known = ::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &peer, &length) == 0;
    if (!known || (peer.uid != ::geteuid() && peer.uid != 0)) {
        spdlog::warn("control socket: refused a client with uid {} (pid {})", known ? static_cast<long>(peer.uid) : -1L,
                     known ? static_cast<long>(peer.pid) : -1L);
        client->refuse(protocol::reply_error(std::nullopt, protocol::ErrorCode::forbidden,
                                             "only the daemon's user (uid " + std::to_string(::geteuid()) +
                                                 ") and root may use this socket"));
    } else {
        client->start();
    }
    clients_.push_back(std::move(client));
}

void ControlServer::on_prune(uv_timer_t* timer) { static_cast<ControlServer*>(timer->data)->prune(); }

// Closed connections are freed here, never inside their own callbacks.
void ControlServer::prune() {
    clients_.remove_if([](const std::unique_ptr<ControlConnection>& client) { return client->closed(); });
    SocketAcceptor::refill();
}

}  // namespace corral::supervisor
