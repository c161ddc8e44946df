#include "supervisor/instance/exec_shim.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>

#include "base/fd_limit.hpp"
#include "base/priority.hpp"

namespace corral::supervisor {

ExecShim locate_exec_shim(const std::string& corral_exe) {
    const std::filesystem::path beside = std::filesystem::path(corral_exe).parent_path() / kExecShimFile;
    if (!corral_exe.empty() && access(beside.c_str(), X_OK) == 0) return {beside.string(), true};
    spdlog::info("no {} beside {}: services are started through `corral __exec` (slower)", kExecShimFile, corral_exe);
    return {corral_exe, false};
}

std::vector<std::string> exec_shim_argv(const ExecShim& shim, int parent_pid,
                                        const std::vector<cgroup::JoinTarget>& cgroups,
                                        const std::vector<std::string>& program, const ShimPlacement& placement) {
    std::vector<std::string> argv = {shim.exe};
    if (!shim.standalone) argv.push_back(kExecShimCommand);
    argv.insert(argv.end(), {"--report-fd", std::to_string(kExecReportFd), "--parent", std::to_string(parent_pid)});
    if (const auto nofile = fd_limit_for_children()) {
        argv.push_back("--nofile");
        argv.push_back(std::to_string(*nofile));
    }
    if (const auto nice = nice_for_children()) {
        argv.push_back("--nice");
        argv.push_back(std::to_string(*nice));
    }
    if (batch_for_daemon_only()) argv.push_back("--sched-other");
    for (const auto& target : cgroups) {
        argv.push_back("--cgroup");
        argv.push_back(target.hierarchy + ":" + target.dir.string());
    }
    if (placement.standby) argv.insert(argv.end(), {"--standby-fd", std::to_string(kExecStandbyFd)});
    if (placement.listen_fds > 0) {
        argv.insert(argv.end(), {"--listen-fds", std::to_string(kExecListenFd) + ":" + std::to_string(placement.listen_fds)});
        if (placement.channel) argv.push_back("--channel");
    }
    argv.push_back("--");
    argv.insert(argv.end(), program.begin(), program.end());
    return argv;
}

ExecReport parse_exec_report(std::string_view text) {
    ExecReport report;
    if (text.empty()) return report;
    const std::string copy(text);
    report.error = std::atoi(copy.c_str());
    if (report.error <= 0) report.error = ENOEXEC;
    if (text.find(" cgroup") != std::string_view::npos) report.stage = ExecStage::cgroup;
    return report;
}

int exec_shim_main(int argc, char** argv) { return exec::shim_main(argc, argv, 2); }

}  // namespace corral::supervisor
