#include "tests/integration/notified_daemon.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <sstream>
#include <stdexcept>

#include "tests/support/processes.hpp"
#include "tests/support/test_cgroups.hpp"

namespace corral::test {

NotifySocket::NotifySocket(const std::filesystem::path& path) : path_(path) {
    fd_.reset(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    if (!fd_ || path.string().size() >= sizeof address.sun_path) throw std::runtime_error("no notify socket");
    std::strcpy(address.sun_path, path.c_str());
    if (::bind(fd_.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
        throw std::runtime_error("cannot bind " + path.string() + ": " + std::strerror(errno));
    }
}

std::optional<std::string> NotifySocket::next(const std::function<bool(const std::string&)>& wanted,
                                              std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    char buffer[4096];
    while (true) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) return std::nullopt;
        pollfd watch{fd_.get(), POLLIN, 0};
        if (::poll(&watch, 1, static_cast<int>(left.count())) <= 0) continue;
        const ssize_t n = ::recv(fd_.get(), buffer, sizeof buffer, 0);
        if (n <= 0) continue;
        received_.emplace_back(buffer, static_cast<std::size_t>(n));
        if (wanted(received_.back())) return received_.back();
    }
}

bool has_line(const std::string& message, const std::string& line) {
    std::istringstream lines(message);
    for (std::string each; std::getline(lines, each);) {
        if (each == line) return true;
    }
    return false;
}

std::optional<std::string> value_of(const std::string& message, const std::string& key) {
    std::istringstream lines(message);
    for (std::string each; std::getline(lines, each);) {
        if (each.starts_with(key + "=")) return each.substr(key.size() + 1);
    }
    return std::nullopt;
}

int run_beside(const std::filesystem::path& cwd, const std::vector<std::string>& args,
               std::chrono::milliseconds timeout) {
    std::vector<std::string> argv = {corral_binary().string()};
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<char*> c_argv;
    for (auto& arg : argv) c_argv.push_back(arg.data());
    c_argv.push_back(nullptr);
    const std::string out = (cwd / (args.at(0) + ".stdout")).string();
    const std::string err = (cwd / (args.at(0) + ".stderr")).string();
    const pid_t pid = ::fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        if (::chdir(cwd.c_str()) != 0) ::_exit(126);
        ::dup2(::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644), 1);
        ::dup2(::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644), 2);
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        ::execv(c_argv[0], c_argv.data());
        ::_exit(127);
    }
    int status = 0;
    if (!wait_until([&] { return ::waitpid(pid, &status, WNOHANG) == pid; }, timeout)) {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, &status, 0);
        return -1;
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

NotifiedDaemon::NotifiedDaemon(const std::filesystem::path& cwd, const std::vector<std::string>& args,
                               const std::filesystem::path& socket, unsigned long watchdog_usec)
    : cwd_(cwd) {
    prctl(PR_SET_CHILD_SUBREAPER, 1);  // what the daemon leaves comes back here, and is killed
    std::vector<std::string> argv = {corral_binary().string()};
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<char*> c_argv;
    for (auto& arg : argv) c_argv.push_back(arg.data());
    c_argv.push_back(nullptr);
    const std::string out = (cwd / "corral.stdout").string();
    const std::string err = (cwd / "corral.stderr").string();
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ != 0) return;
    if (::chdir(cwd.c_str()) != 0) ::_exit(126);
    ::dup2(::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644), 1);
    ::dup2(::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644), 2);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    ::setenv("NOTIFY_SOCKET", socket.c_str(), 1);
    if (watchdog_usec != 0) {
        ::setenv("WATCHDOG_USEC", std::to_string(watchdog_usec).c_str(), 1);
        ::setenv("WATCHDOG_PID", std::to_string(::getpid()).c_str(), 1);
    }
    ::execv(c_argv[0], c_argv.data());
    ::_exit(127);
}

NotifiedDaemon::~NotifiedDaemon() {
    if (!reaped_) {
        ::kill(pid_, SIGTERM);
        if (!wait(std::chrono::seconds(10))) {
            ::kill(pid_, SIGKILL);
            wait(std::chrono::seconds(5));
        }
    }
    kill_all_descendants();
    remove_daemon_cgroups(cwd_ / ".corral");
}

std::optional<int> NotifiedDaemon::wait(std::chrono::milliseconds timeout) {
    int status = 0;
    if (reaped_ || !wait_until([&] { return ::waitpid(pid_, &status, WNOHANG) == pid_; }, timeout)) return std::nullopt;
    reaped_ = true;
    return status;
}

void NotifiedDaemon::terminate() const {
    if (!reaped_) ::kill(pid_, SIGTERM);
}

int NotifiedDaemon::exit_code(std::chrono::milliseconds timeout) {
    const std::optional<int> status = wait(timeout);
    if (!status) return -1;
    return WIFEXITED(*status) ? WEXITSTATUS(*status) : 128 + WTERMSIG(*status);
}

}  // namespace corral::test
