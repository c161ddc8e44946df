#include "tests/support/processes.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "tests/support/temp_dir.hpp"
#include "tests/support/test_cgroups.hpp"

namespace corral::test {

namespace {

std::string stat_field_after_comm(pid_t pid, int index) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string text;
    std::getline(in, text);
    const auto close = text.rfind(')');
    if (close == std::string::npos) return {};
    std::istringstream fields(text.substr(close + 2));
    std::string field;
    for (int i = 0; i <= index && fields >> field; ++i) {
    }
    return field;
}

long status_kib(pid_t pid, const std::string& key) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind(key + ":", 0) == 0) return std::stol(line.substr(key.size() + 1));
    }
    return -1;
}

}  // namespace

std::filesystem::path corral_binary() { return CORRAL_BINARY; }
std::filesystem::path fixture(const std::string& name) { return std::filesystem::path(CORRAL_FIXTURES) / name; }

bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
        if (condition()) return true;
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(10ms);
    }
}

char process_state(pid_t pid) {
    const std::string state = stat_field_after_comm(pid, 0);
    return state.empty() ? 0 : state[0];
}

bool process_alive(pid_t pid) {
    const char state = process_state(pid);
    return state != 0 && state != 'Z' && state != 'X';
}

pid_t parent_of(pid_t pid) {
    const std::string ppid = stat_field_after_comm(pid, 1);
    return ppid.empty() ? 0 : static_cast<pid_t>(std::stol(ppid));
}

std::vector<pid_t> children_of(pid_t pid) {
    std::vector<pid_t> pids;
    const std::string tasks = "/proc/" + std::to_string(pid) + "/task";
    DIR* dir = opendir(tasks.c_str());
    if (dir == nullptr) return pids;
    while (const dirent* entry = readdir(dir)) {
        if (entry->d_name[0] == '.') continue;
        std::ifstream list(tasks + "/" + entry->d_name + "/children");
        pid_t child = 0;
        while (list >> child) pids.push_back(child);
    }
    closedir(dir);
    return pids;
}

std::vector<pid_t> descendants_of(pid_t pid) {
    std::vector<pid_t> result;
    std::vector<pid_t> todo = children_of(pid);
    while (!todo.empty()) {
        const pid_t next = todo.back();
        todo.pop_back();
        result.push_back(next);
        for (const pid_t child : children_of(next)) todo.push_back(child);
    }
    return result;
}

long rss_kib(pid_t pid) { return status_kib(pid, "VmRSS"); }
long peak_rss_kib(pid_t pid) { return status_kib(pid, "VmHWM"); }

namespace {

// Daemons that tests still hold: their processes are theirs to stop.
std::vector<pid_t>& live_daemons() {
    static std::vector<pid_t> pids;
    return pids;
}

// The state directories of those daemons: a command run beside one must not clean up its cgroups.
std::vector<std::filesystem::path>& live_state_dirs() {
    static std::vector<std::filesystem::path> dirs;
    return dirs;
}

std::filesystem::path canonical_dir(const std::filesystem::path& dir) {
    std::error_code ec;
    const std::filesystem::path canonical = std::filesystem::weakly_canonical(dir, ec);
    return ec ? dir : canonical;
}

std::vector<pid_t> unclaimed_descendants() {
    std::vector<pid_t> claimed;
    for (const pid_t daemon : live_daemons()) {
        claimed.push_back(daemon);
        for (const pid_t pid : descendants_of(daemon)) claimed.push_back(pid);
    }
    std::vector<pid_t> pids = descendants_of(getpid());
    std::erase_if(pids, [&](pid_t pid) { return std::find(claimed.begin(), claimed.end(), pid) != claimed.end(); });
    return pids;
}

}  // namespace

void kill_all_descendants() {
    for (int round = 0; round < 50; ++round) {
        const std::vector<pid_t> pids = unclaimed_descendants();
        if (pids.empty()) return;
        for (const pid_t pid : pids) ::kill(pid, SIGKILL);
        for (const pid_t pid : pids) waitpid(pid, nullptr, WNOHANG);
        std::this_thread::sleep_for(10ms);
    }
}

CorralProcess::CorralProcess(const std::filesystem::path& cwd, const std::vector<std::string>& args,
                             std::filesystem::path state_dir)
    : cwd_(cwd), state_dir_(state_dir.empty() ? cwd / ".corral" : std::move(state_dir)) {
    start(args, 0);
}

CorralProcess::CorralProcess(const std::filesystem::path& cwd, const std::vector<std::string>& args,
                             unsigned long nofile)
    : cwd_(cwd), state_dir_(cwd / ".corral") {
    start(args, nofile);
}

void CorralProcess::start(const std::vector<std::string>& args, unsigned long nofile) {
    const std::filesystem::path& cwd = cwd_;
    // Whatever the daemon leaves behind comes back to the test process, which then kills it.
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    const std::string out = (cwd / "corral.stdout").string();
    const std::string err = (cwd / "corral.stderr").string();
    std::vector<std::string> argv = {corral_binary().string()};
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<char*> c_argv;
    for (auto& arg : argv) c_argv.push_back(arg.data());
    c_argv.push_back(nullptr);
    pid_ = fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
        if (chdir(cwd.c_str()) != 0) _exit(126);
        const int out_fd = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        const int err_fd = open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(out_fd, 1);
        dup2(err_fd, 2);
        // If the test dies, the daemon goes with it; its services follow the daemon.
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (nofile > 0) {
            const rlimit limit{nofile, nofile};
            if (setrlimit(RLIMIT_NOFILE, &limit) != 0) _exit(126);
        }
        execv(c_argv[0], c_argv.data());
        _exit(127);
    }
    live_daemons().push_back(pid_);
    live_state_dirs().push_back(canonical_dir(state_dir_));
}

CorralProcess::~CorralProcess() {
    if (!reaped_) {
        ::kill(pid_, SIGTERM);
        if (!wait(10s)) {
            ::kill(pid_, SIGKILL);
            wait(5s);
        }
    }
    std::erase(live_daemons(), pid_);
    auto& dirs = live_state_dirs();
    const auto mine = std::find(dirs.begin(), dirs.end(), canonical_dir(state_dir_));
    if (mine != dirs.end()) dirs.erase(mine);
    kill_all_descendants();
    // A client command run in a live daemon's directory leaves that daemon's cgroups to it.
    if (std::find(dirs.begin(), dirs.end(), canonical_dir(state_dir_)) == dirs.end()) remove_daemon_cgroups(state_dir_);
}

void CorralProcess::signal(int signum) const {
    if (!reaped_) ::kill(pid_, signum);
}

std::optional<int> CorralProcess::wait(std::chrono::milliseconds timeout) {
    if (reaped_) return std::nullopt;
    int status = 0;
    const bool exited = wait_until([&] { return waitpid(pid_, &status, WNOHANG) == pid_; }, timeout);
    if (!exited) return std::nullopt;
    reaped_ = true;
    return status;
}

int CorralProcess::stop(std::chrono::milliseconds timeout) {
    signal(SIGTERM);
    const auto status = wait(timeout);
    if (!status) return -1;
    return WIFEXITED(*status) ? WEXITSTATUS(*status) : 128 + WTERMSIG(*status);
}

std::string CorralProcess::stderr_text() const { return read_file(cwd_ / "corral.stderr"); }

CommandResult run_corral(const std::filesystem::path& cwd, const std::vector<std::string>& args,
                         std::chrono::milliseconds timeout) {
    CorralProcess process(cwd, args);
    CommandResult result;
    const auto status = process.wait(timeout);
    if (status) result.exit_code = WIFEXITED(*status) ? WEXITSTATUS(*status) : 128 + WTERMSIG(*status);
    result.out = read_file(cwd / "corral.stdout");
    result.err = read_file(cwd / "corral.stderr");
    return result;
}

}  // namespace corral::test
