#include "tests/support/control_socket.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

namespace corral::test {

SocketClient::SocketClient(const std::filesystem::path& socket, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
        fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        std::strncpy(address.sun_path, socket.c_str(), sizeof address.sun_path - 1);
        if (::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0) return;
        error_ = errno;
        ::close(fd_);
        fd_ = -1;
        if (std::chrono::steady_clock::now() >= deadline || error_ == EACCES) return;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

SocketClient::~SocketClient() { close(); }

void SocketClient::close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
}

bool SocketClient::send(std::string_view bytes) {
    while (!bytes.empty()) {
        const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

std::optional<std::string> SocketClient::read_line(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
        if (const auto newline = buffer_.find('\n'); newline != std::string::npos) {
            std::string line = buffer_.substr(0, newline);
            buffer_.erase(0, newline + 1);
            return line;
        }
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0 || fd_ < 0) return std::nullopt;
        pollfd watch{fd_, POLLIN, 0};
        if (::poll(&watch, 1, static_cast<int>(left.count())) <= 0) return std::nullopt;
        char chunk[65536];
        const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
        if (n <= 0) return std::nullopt;
        buffer_.append(chunk, static_cast<std::size_t>(n));
    }
}

bool SocketClient::closed_by_peer(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    char chunk[65536];
    while (std::chrono::steady_clock::now() < deadline) {
        pollfd watch{fd_, POLLIN, 0};
        if (::poll(&watch, 1, 50) <= 0) continue;
        const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
        if (n == 0 || (n < 0 && errno == ECONNRESET)) return true;
        if (n > 0) buffer_.append(chunk, static_cast<std::size_t>(n));
    }
    return false;
}

nlohmann::json SocketClient::request(const std::string& cmd, const nlohmann::json& args, int id) {
    const nlohmann::json request = {{"v", 1}, {"id", id}, {"cmd", cmd}, {"args", args}};
    if (!send(request.dump() + "\n")) return nullptr;
    const auto line = read_line();
    if (!line) return nullptr;
    return nlohmann::json::parse(*line, nullptr, false);
}

nlohmann::json instance_named(const nlohmann::json& status, const std::string& name) {
    if (!status.contains("result") || !status["result"].contains("instances")) return nullptr;
    for (const auto& instance : status["result"]["instances"]) {
        if (instance["service"].get<std::string>() + "#" + std::to_string(instance["index"].get<int>()) == name) {
            return instance;
        }
    }
    return nullptr;
}

nlohmann::json instance_of(SocketClient& client, const std::string& name) {
    return instance_named(client.request("status"), name);
}

}  // namespace corral::test
