#include "tests/integration/agent_apps.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "tests/support/processes.hpp"

extern char** environ;

namespace corral::test {

namespace {

[[noreturn]] void fail(const std::string& what) { throw std::runtime_error(what + ": " + std::strerror(errno)); }

// A copy of `fd` numbered 100 or more, so that moving it to 3.. in the child never overwrites another.
UniqueFd high_copy(int fd) {
    UniqueFd copy(::fcntl(fd, F_DUPFD_CLOEXEC, 100));
    if (!copy) fail("fcntl(F_DUPFD_CLOEXEC)");
    return copy;
}

std::string corral_listen(const std::vector<const HeldSocket*>& sockets) {
    nlohmann::json list = nlohmann::json::array();
    for (std::size_t i = 0; i < sockets.size(); ++i) {
        nlohmann::json entry = {{"fd", 3 + i}, {"address", sockets[i]->address}};
        if (sockets[i]->path.empty()) {
            entry["host"] = sockets[i]->host;
            entry["port"] = sockets[i]->port;
        } else {
            entry["path"] = sockets[i]->path.string();
        }
        list.push_back(entry);
    }
    return list.dump();
}

// "LISTEN_PID=" followed by room for a pid, filled in by the child (only it knows its pid before exec).
constexpr const char* kListenPid = "LISTEN_PID=";

void write_pid(char* out, pid_t pid) {
    char digits[16];
    int n = 0;
    do {
        digits[n++] = static_cast<char>('0' + pid % 10);
        pid /= 10;
    } while (pid > 0);
    while (n > 0) *out++ = digits[--n];
    *out = '\0';
}

}  // namespace

HeldSocket HeldSocket::tcp(const std::string& host, int port) {
    HeldSocket held;
    const bool v6 = host.find(':') != std::string::npos;
    held.fd = UniqueFd(::socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!held.fd) fail("socket");
    const int on = 1;
    ::setsockopt(held.fd.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    sockaddr_storage address{};
    socklen_t length = 0;
    if (v6) {
        auto* in6 = reinterpret_cast<sockaddr_in6*>(&address);
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons(static_cast<uint16_t>(port));
        if (::inet_pton(AF_INET6, host.c_str(), &in6->sin6_addr) != 1) fail("inet_pton " + host);
        length = sizeof *in6;
    } else {
        auto* in4 = reinterpret_cast<sockaddr_in*>(&address);
        in4->sin_family = AF_INET;
        in4->sin_port = htons(static_cast<uint16_t>(port));
        if (::inet_pton(AF_INET, host.c_str(), &in4->sin_addr) != 1) fail("inet_pton " + host);
        length = sizeof *in4;
    }
    if (::bind(held.fd.get(), reinterpret_cast<sockaddr*>(&address), length) != 0) fail("bind " + host);
    if (::listen(held.fd.get(), 511) != 0) fail("listen");
    if (::getsockname(held.fd.get(), reinterpret_cast<sockaddr*>(&address), &length) != 0) fail("getsockname");
    held.port = ntohs(v6 ? reinterpret_cast<sockaddr_in6*>(&address)->sin6_port
                         : reinterpret_cast<sockaddr_in*>(&address)->sin_port);
    held.host = host;
    held.address = (v6 ? "[" + host + "]" : host) + ":" + std::to_string(held.port);
    return held;
}

HeldSocket HeldSocket::unix_socket(const std::filesystem::path& path) {
    HeldSocket held;
    held.fd = UniqueFd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!held.fd) fail("socket");
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path.c_str(), sizeof address.sun_path - 1);
    if (::bind(held.fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) fail("bind " + path.string());
    if (::listen(held.fd.get(), 511) != 0) fail("listen");
    held.path = path;
    held.address = "unix:" + path.string();
    return held;
}

NodeApp::NodeApp(const std::filesystem::path& agent, const AppOptions& options) {
    std::vector<UniqueFd> passed;  // at 3, 4, ... in the child: the sockets, then the channel
    for (const HeldSocket* socket : options.sockets) passed.push_back(high_copy(socket->fd.get()));
    int pair[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) fail("socketpair");
    channel_ = UniqueFd(pair[0]);
    passed.push_back(high_copy(pair[1]));
    ::close(pair[1]);

    std::map<std::string, std::string> vars;
    for (char** entry = environ; *entry != nullptr; ++entry) {
        const std::string text = *entry;
        const auto eq = text.find('=');
        if (eq != std::string::npos) vars[text.substr(0, eq)] = text.substr(eq + 1);
    }
    for (const auto& [name, value] : options.env) vars[name] = value;
    vars["NODE_OPTIONS"] = "--require \"" + agent.string() + "\"";
    vars["NODE_CHANNEL_FD"] = std::to_string(3 + options.sockets.size());
    vars["LISTEN_FDS"] = std::to_string(options.sockets.size());
    vars["CORRAL_LISTEN"] = corral_listen(options.sockets);
    vars.erase("LISTEN_PID");
    std::vector<std::string> env_strings;
    for (const auto& [name, value] : vars) env_strings.push_back(name + "=" + value);
    std::string listen_pid = std::string(kListenPid) + (options.listen_pid_is_own ? std::string(16, ' ') : "1");
    std::vector<char*> envp;
    for (auto& text : env_strings) envp.push_back(text.data());
    envp.push_back(listen_pid.data());
    envp.push_back(nullptr);
    std::string node = "node";
    std::string script = fixture("agent_app.js").string();
    char* argv[] = {node.data(), script.data(), nullptr};
    const std::string out = (dir_ / "stdout").string();
    const std::string err = (dir_ / "stderr").string();

    pid_ = ::fork();
    if (pid_ < 0) fail("fork");
    if (pid_ == 0) {
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        for (std::size_t i = 0; i < passed.size(); ++i) ::dup2(passed[i].get(), static_cast<int>(3 + i));
        ::dup2(::open("/dev/null", O_RDONLY | O_CLOEXEC), 0);
        ::dup2(::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644), 1);
        ::dup2(::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644), 2);
        if (options.listen_pid_is_own) write_pid(listen_pid.data() + std::strlen(kListenPid), ::getpid());
        ::execvpe(argv[0], argv, envp.data());
        ::_exit(127);
    }
}

NodeApp::~NodeApp() {
    if (reaped_) return;
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
}

void NodeApp::signal(int signum) const {
    if (!reaped_) ::kill(pid_, signum);
}

std::optional<int> NodeApp::wait(std::chrono::milliseconds timeout) {
    int status = 0;
    if (reaped_ || !wait_until([&] { return ::waitpid(pid_, &status, WNOHANG) == pid_; }, timeout)) return std::nullopt;
    reaped_ = true;
    return status;
}

std::string NodeApp::channel_line(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (channel_buffer_.find('\n') == std::string::npos) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        pollfd poll_fd{channel_.get(), POLLIN, 0};
        if (::poll(&poll_fd, 1, static_cast<int>(std::max<long long>(0, left.count()))) <= 0) return "";
        char buffer[4096];
        const ssize_t n = ::read(channel_.get(), buffer, sizeof buffer);
        if (n <= 0) return "";
        channel_buffer_.append(buffer, static_cast<std::size_t>(n));
    }
    const auto end = channel_buffer_.find('\n');
    std::string line = channel_buffer_.substr(0, end);
    channel_buffer_.erase(0, end + 1);
    return line;
}

std::string NodeApp::output_line(const std::string& prefix, std::chrono::milliseconds timeout) const {
    std::string found;
    wait_until([&] {
        const std::string text = read_file(dir_ / "stdout");
        for (std::size_t start = 0, end; (end = text.find('\n', start)) != std::string::npos; start = end + 1) {
            if (text.compare(start, prefix.size(), prefix) == 0) {
                found = text.substr(start, end - start);
                return true;
            }
        }
        return false;
    }, timeout);
    return found;
}

std::string NodeApp::error_text() const { return read_file(dir_ / "stderr"); }

bool NodeApp::has_fd(int fd) const {
    std::error_code ec;
    return std::filesystem::exists("/proc/" + std::to_string(pid_) + "/fd/" + std::to_string(fd), ec);
}

}  // namespace corral::test
