#include "supervisor/listen/listen_sockets.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <set>
#include <system_error>

namespace corral::supervisor {
namespace {

Result<UniqueFd> open_tcp(const std::string& host, std::uint16_t port, bool v6only, unsigned backlog) {
    const bool v6 = host.find(':') != std::string::npos;
    const std::string name = v6 ? "[" + host + "]:" + std::to_string(port) : host + ":" + std::to_string(port);
    UniqueFd fd(::socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd) return sys_error("open a socket for", name);
    const int on = 1;
    setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    sockaddr_storage storage{};
    socklen_t length = 0;
    if (v6) {
        const int only = v6only ? 1 : 0;
        setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &only, sizeof only);
        auto* address = reinterpret_cast<sockaddr_in6*>(&storage);
        address->sin6_family = AF_INET6;
        address->sin6_port = htons(port);
        inet_pton(AF_INET6, host.c_str(), &address->sin6_addr);
        length = sizeof *address;
    } else {
        auto* address = reinterpret_cast<sockaddr_in*>(&storage);
        address->sin_family = AF_INET;
        address->sin_port = htons(port);
        inet_pton(AF_INET, host.c_str(), &address->sin_addr);
        length = sizeof *address;
    }
    if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&storage), length) != 0) return sys_error("bind", name);
    if (::listen(fd.get(), static_cast<int>(backlog)) != 0) return sys_error("listen on", name);
    return fd;
}

// A socket file nobody accepts on (its daemon died) may be replaced; anything else at the path may not.
Status clear_stale_socket(const std::filesystem::path& path) {
    struct stat status {};
    if (::lstat(path.c_str(), &status) != 0) {
        return errno == ENOENT ? Status() : Status(sys_error("inspect", path.string()));
    }
    if (!S_ISSOCK(status.st_mode)) return with_hint(sys_error("bind", path.string(), EEXIST), "it is not a socket");
    UniqueFd probe(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path.c_str(), sizeof address.sun_path - 1);
    if (probe && ::connect(probe.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) == 0) {
        return with_hint(sys_error("bind", path.string(), EADDRINUSE), "another process accepts on it");
    }
    if (::unlink(path.c_str()) != 0) return sys_error("remove the stale socket", path.string());
    return {};
}

Result<UniqueFd> open_unix(const std::filesystem::path& path, const config::ListenSpec& spec) {
    std::error_code made;
    std::filesystem::create_directories(path.parent_path(), made);
    if (Status cleared = clear_stale_socket(path); !cleared) return cleared.error();
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd) return sys_error("open a socket for", path.string());
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path.c_str(), sizeof address.sun_path - 1);
    if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
        return sys_error("bind", path.string());
    }
    if (::listen(fd.get(), static_cast<int>(spec.backlog)) != 0) return sys_error("listen on", path.string());
    return fd;
}

Status set_owner_and_mode(const std::filesystem::path& path, const config::ListenSpec& spec) {
    if (spec.mode && ::chmod(path.c_str(), *spec.mode) != 0) return sys_error("change the mode of", path.string());
    if ((spec.user || spec.group) &&
        ::chown(path.c_str(), spec.user.value_or(static_cast<uid_t>(-1)), spec.group.value_or(static_cast<gid_t>(-1))) != 0) {
        return sys_error("change the owner of", path.string());
    }
    return {};
}

std::string place(const std::filesystem::path& file, const config::ListenAddress& address) {
    if (file.empty() || address.line == 0) return "";
    return file.string() + ":" + std::to_string(address.line) + ":" + std::to_string(address.column) + ": ";
}

}  // namespace

Result<UniqueFd> open_listening_socket(const config::ListenAddress& address, const config::ListenSpec& spec,
                                       std::string& bound_as) {
    bound_as = address.text;
    if (!address.tcp()) {
        Result<UniqueFd> fd = open_unix(address.path, spec);
        if (!fd) return fd;
        if (Status set = set_owner_and_mode(address.path, spec); !set) {
            ::unlink(address.path.c_str());
            return set.error();
        }
        return fd;
    }
    Result<UniqueFd> fd = open_tcp(address.host, address.port, address.v6only, spec.backlog);
    if (!fd && address.any && fd.error().code == EAFNOSUPPORT) {
        bound_as = "0.0.0.0:" + std::to_string(address.port);
        return open_tcp("0.0.0.0", address.port, false, spec.backlog);
    }
    return fd;
}

ListenSockets::~ListenSockets() { close_all(); }

std::vector<std::string> ListenSockets::apply(const std::vector<config::ServiceSpec>& services,
                                              const std::filesystem::path& file) {
    std::vector<std::string> errors;
    std::map<std::string, Held> opened;
    std::set<std::string> listed;
    for (const auto& service : services) {
        for (const auto& address : service.listen.addresses) {
            listed.insert(address.text);
            if (held_.contains(address.text)) continue;
            Held held;
            Result<UniqueFd> fd = open_listening_socket(address, service.listen, held.bound_as);
            if (!fd) {
                errors.push_back(place(file, address) + "service " + service.name + ": " + fd.error().message());
                continue;
            }
            held.fd = std::move(*fd);
            held.path = address.path;
            held.backlog = service.listen.backlog;
            struct stat status {};
            if (!held.path.empty() && ::stat(held.path.c_str(), &status) == 0) {
                held.device = status.st_dev;
                held.inode = status.st_ino;
            }
            opened.emplace(address.text, std::move(held));
        }
    }
    if (!errors.empty()) {
        for (auto& [text, held] : opened) close(held);
        return errors;
    }
    for (auto it = held_.begin(); it != held_.end();) {
        if (listed.contains(it->first)) {
            ++it;
            continue;
        }
        spdlog::info("closed the listening socket {}: no service lists it any more", it->first);
        close(it->second);
        it = held_.erase(it);
    }
    for (auto& [text, held] : opened) {
        spdlog::info("listening on {}{}", text, held.bound_as == text ? "" : " (as " + held.bound_as + ": no IPv6 here)");
        held_.emplace(text, std::move(held));
    }
    for (const auto& service : services) {
        for (const auto& address : service.listen.addresses) update(held_.at(address.text), service.listen);
    }
    return errors;
}

void ListenSockets::update(Held& held, const config::ListenSpec& spec) const {
    if (held.backlog != spec.backlog) {
        if (::listen(held.fd.get(), static_cast<int>(spec.backlog)) == 0) held.backlog = spec.backlog;
    }
    if (held.path.empty()) return;
    if (Status set = set_owner_and_mode(held.path, spec); !set) spdlog::warn("{}", set.error().message());
}

std::vector<int> ListenSockets::fds(const config::ListenSpec& spec) const {
    std::vector<int> fds;
    for (const auto& address : spec.addresses) {
        const auto it = held_.find(address.text);
        if (it == held_.end()) return {};
        fds.push_back(it->second.fd.get());
    }
    return fds;
}

void ListenSockets::close(Held& held) {
    held.fd.reset();
    if (held.path.empty()) return;
    struct stat status {};
    if (::lstat(held.path.c_str(), &status) == 0 && status.st_dev == held.device && status.st_ino == held.inode) {
        ::unlink(held.path.c_str());
    }
}

void ListenSockets::close_all() {
    for (auto& [text, held] : held_) close(held);
    held_.clear();
}

}  // namespace corral::supervisor
