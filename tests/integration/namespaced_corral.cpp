#include "tests/integration/namespaced_corral.hpp"

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <fstream>
#include <stdexcept>

#include "tests/support/processes.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_cgroups.hpp"

namespace corral::test {
namespace fs = std::filesystem;

namespace {

constexpr const char* kMemoryLimit = "2147483648";  // 2 GiB for everything in the namespace

// `pod`: mount a cgroup2 filesystem over /sys/fs/cgroup, then become corral (still PID 1).
std::vector<std::string> unshare_argv(const std::vector<std::string>& args, bool pod) {
    std::vector<std::string> argv = {"unshare", "--pid", "--fork", "--mount-proc", "--kill-child"};
    if (pod) argv.insert(argv.end(), {"--cgroup", "--", "sh", "-c",
                                      "mount -t cgroup2 cgroup2 /sys/fs/cgroup && exec \"$0\" \"$@\""});
    else argv.push_back("--");
    argv.push_back(corral_binary().string());
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
}

fs::path make_group(const fs::path& parent, const std::string& name) {
    if (parent.empty()) return {};
    const fs::path dir = parent / name;
    fs::create_directory(dir);
    return dir;
}

// In the forked child: plain system calls only.
void join(const std::string& procs) {
    if (procs.empty()) return;
    const std::string pid = std::to_string(::getpid());
    const int fd = ::open(procs.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0 || ::write(fd, pid.data(), pid.size()) != static_cast<ssize_t>(pid.size())) _exit(125);
    ::close(fd);
}

std::string procs_of(const fs::path& group) { return group.empty() ? std::string() : (group / "cgroup.procs").string(); }

}  // namespace

NamespacedCorral::NamespacedCorral(const fs::path& cwd, const std::vector<std::string>& args, bool pod)
    : cwd_(cwd) {
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    const std::string name = "corral-ns-test-" + std::to_string(::getpid()) + "-" + cwd.filename().string();
    memory_group_ = make_group(own_cgroup_dir("memory"), name);
    if (!memory_group_.empty()) std::ofstream(memory_group_ / "memory.limit_in_bytes") << kMemoryLimit;
    group_ = make_group(own_cgroup_dir(""), name);
    if (!group_.empty() && fs::exists(group_ / "memory.max")) std::ofstream(group_ / "memory.max") << kMemoryLimit;

    std::vector<std::string> argv = unshare_argv(args, pod);
    std::vector<char*> c_argv;
    for (auto& arg : argv) c_argv.push_back(arg.data());
    c_argv.push_back(nullptr);
    const std::string out = (cwd / "corral.stdout").string();
    const std::string err = (cwd / "corral.stderr").string();
    const std::string memory_procs = procs_of(memory_group_);
    const std::string procs = procs_of(group_);
    pid_ = fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
        join(memory_procs);
        join(procs);
        if (chdir(cwd.c_str()) != 0) _exit(126);
        dup2(open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644), 1);
        dup2(open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644), 2);
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        execvp(c_argv[0], c_argv.data());
        _exit(127);
    }
}

pid_t NamespacedCorral::corral_pid() const {
    const std::vector<pid_t> children = children_of(pid_);
    return children.empty() ? 0 : children.front();
}

std::optional<int> NamespacedCorral::wait(std::chrono::milliseconds timeout) {
    if (reaped_) return std::nullopt;
    int status = 0;
    if (!wait_until([&] { return waitpid(pid_, &status, WNOHANG) == pid_; }, timeout)) return std::nullopt;
    reaped_ = true;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string NamespacedCorral::out() const { return read_file(cwd_ / "corral.stdout"); }
std::string NamespacedCorral::err() const { return read_file(cwd_ / "corral.stderr"); }

NamespacedCorral::~NamespacedCorral() {
    if (!reaped_) {
        ::kill(pid_, SIGKILL);
        wait(std::chrono::seconds(10));
    }
    kill_all_descendants();
    kill_and_remove_group(group_);
    kill_and_remove_group(memory_group_);
    remove_daemon_cgroups(cwd_ / ".corral");
}

}  // namespace corral::test
