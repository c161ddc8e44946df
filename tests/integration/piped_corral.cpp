#include "tests/integration/piped_corral.hpp"

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <stdexcept>

#include "tests/support/processes.hpp"
#include "tests/support/test_cgroups.hpp"

namespace corral::test {

PipedCorral::PipedCorral(const std::filesystem::path& cwd, const std::vector<std::string>& args, bool paused)
    : cwd_(cwd), paused_(paused) {
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
    std::vector<std::string> argv = {corral_binary().string()};
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<char*> c_argv;
    for (auto& arg : argv) c_argv.push_back(arg.data());
    c_argv.push_back(nullptr);
    const std::string err = (cwd / "corral.stderr").string();
    pid_ = fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
        if (chdir(cwd.c_str()) != 0) _exit(126);
        const int err_fd = open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(fds[1], 1);
        dup2(err_fd, 2);
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        execv(c_argv[0], c_argv.data());
        _exit(127);
    }
    close(fds[1]);
    reader_ = std::thread([this, fd = fds[0]] { read_all(fd); });
}

void PipedCorral::read_all(int fd) {
    char buffer[16384];
    while (true) {
        if (paused_) {
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
            continue;
        }
        const ssize_t n = read(fd, buffer, sizeof buffer);
        if (n <= 0) break;  // EOF: corral and every holder of the pipe are gone
        std::lock_guard lock(mutex_);
        out_.append(buffer, static_cast<std::size_t>(n));
    }
    close(fd);
}

std::string PipedCorral::out() const {
    std::lock_guard lock(mutex_);
    return out_;
}

std::optional<int> PipedCorral::wait(std::chrono::milliseconds timeout) {
    if (reaped_) return std::nullopt;
    int status = 0;
    if (!wait_until([&] { return waitpid(pid_, &status, WNOHANG) == pid_; }, timeout)) return std::nullopt;
    reaped_ = true;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int PipedCorral::stop(std::chrono::milliseconds timeout) {
    if (!reaped_) kill(pid_, SIGTERM);
    return wait(timeout).value_or(-1);
}

PipedCorral::~PipedCorral() {
    if (!reaped_) {
        kill(pid_, SIGTERM);
        if (!wait(std::chrono::seconds(10))) {
            kill(pid_, SIGKILL);
            wait(std::chrono::seconds(5));
        }
    }
    kill_all_descendants();  // the pipe's last holders too: the reader then sees EOF
    paused_ = false;
    reader_.join();
    remove_daemon_cgroups(cwd_ / ".corral");
}

}  // namespace corral::test
