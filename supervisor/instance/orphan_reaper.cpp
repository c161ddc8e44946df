#include "supervisor/instance/orphan_reaper.hpp"

#include <dirent.h>
#include <spdlog/spdlog.h>
#include <sys/wait.h>

#include <csignal>
#include <fstream>

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
