#include "supervisor/instance/orphan_reaper.hpp"

#include <dirent.h>
#include <spdlog/spdlog.h>
#include <sys/wait.h>

#include <csignal>
#include <fstream>
#include <sstream>
#include <string>

#include "policies/exit_status.hpp"
#include "policies/signal_names.hpp"

namespace corral::supervisor {

OrphanReaper::OrphanReaper(uv_loop_t* loop) {
    if (const int rc = signal_.init(uv_signal_init, loop); rc < 0) {
        spdlog::error("cannot watch SIGCHLD for orphaned processes: {}", uv_strerror(rc));
        return;
    }
    signal_.get()->data = this;
    uv_signal_start(signal_.get(), on_sigchld, SIGCHLD);
    uv_unref(signal_.base());  // never keeps the loop alive by itself
}

void OrphanReaper::on_sigchld(uv_signal_t* handle, int) { static_cast<OrphanReaper*>(handle->data)->reap(); }

std::vector<pid_t> OrphanReaper::children() {
    std::vector<pid_t> pids;
    DIR* tasks = opendir("/proc/self/task");
    if (tasks == nullptr) return pids;
    while (const dirent* entry = readdir(tasks)) {
        if (entry->d_name[0] == '.') continue;
        std::ifstream list(std::string("/proc/self/task/") + entry->d_name + "/children");
        pid_t pid = 0;
        while (list >> pid) pids.push_back(pid);
    }
    closedir(tasks);
    return pids;
}

bool OrphanReaper::exiting(pid_t pid) {
    constexpr unsigned long kExiting = 0x4;  // PF_EXITING in the flags of /proc/PID/stat
    std::ifstream file("/proc/" + std::to_string(pid) + "/stat");
    std::string stat;
    if (!std::getline(file, stat)) return true;
    // Fields after the command, which is in parentheses and may hold anything: state ppid pgrp session
    // tty_nr tpgid flags.
    const std::size_t close = stat.rfind(')');
    if (close == std::string::npos) return false;
    std::istringstream fields(stat.substr(close + 1));
    std::string skip;
    unsigned long flags = 0;
    for (int i = 0; i < 6; ++i) fields >> skip;
    if (!(fields >> flags)) return false;
    return (flags & kExiting) != 0;
}

int OrphanReaper::reap() {
    int reaped = 0;
    for (const pid_t pid : children()) {
        if (owned_.contains(pid)) continue;
        int status = 0;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            ++reaped;
            const policies::ExitStatus exit{WIFEXITED(status) ? WEXITSTATUS(status) : 0,
                                            WIFSIGNALED(status) ? WTERMSIG(status) : 0};
            spdlog::debug("reaped orphaned process {} ({})", pid, policies::describe(exit));
        }
    }
    return reaped;
}

}  // namespace corral::supervisor
