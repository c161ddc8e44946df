#pragma once
// A raw client of the daemon's control socket for tests: it sends whatever bytes a test wants (good
// requests, garbage, half lines) and reads reply lines with deadlines.
#include <chrono>
#include <filesystem>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace corral::test {

class SocketClient {
public:
    // Connects (blocking, up to `timeout`); check connected().
    explicit SocketClient(const std::filesystem::path& socket, std::chrono::milliseconds timeout = std::chrono::seconds(5));
    ~SocketClient();
    SocketClient(const SocketClient&) = delete;
    SocketClient& operator=(const SocketClient&) = delete;

    bool connected() const { return fd_ >= 0; }
    int error() const { return error_; }  // errno of a failed connect
    bool send(std::string_view bytes);
    // One line without its newline; nullopt on EOF or timeout.
    std::optional<std::string> read_line(std::chrono::milliseconds timeout = std::chrono::seconds(10));
    // True once the server has closed the connection (EOF), within `timeout`.
    bool closed_by_peer(std::chrono::milliseconds timeout = std::chrono::seconds(5));
    // Sends {"v":1,"id":id,"cmd":cmd,"args":args} and returns the parsed reply (null JSON when none came).
    nlohmann::json request(const std::string& cmd, const nlohmann::json& args = nlohmann::json::object(), int id = 1);
    void close();
    int fd() const { return fd_; }

private:
    int fd_ = -1;
    int error_ = 0;
    std::string buffer_;
};

// The instance "NAME#INDEX" of a status reply ({"result":{"instances":[...]}}), or null.
nlohmann::json instance_named(const nlohmann::json& status, const std::string& name);
// The same, from a fresh status request.
nlohmann::json instance_of(SocketClient& client, const std::string& name);

}  // namespace corral::test
