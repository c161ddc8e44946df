#pragma once
// Writes one post-mortem bundle (format: bundle_format.hpp) into "<dir>.tmp", renames it into place when
// complete, then applies retention: postmortem.keep bundles per instance, postmortem.max_size for all.
// Synchronous: a bundle is a few hundred kilobytes written once per death (heap snapshots and reports
// are moved, not copied).
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "base/sys_result.hpp"
#include "policies/exit_classification.hpp"
#include "supervisor/cgroup/limits.hpp"
#include "supervisor/config/service_spec.hpp"

namespace corral::supervisor::postmortem {

struct BundleInput {
    std::filesystem::path state_dir;
    std::string service;
    unsigned index = 0;
    pid_t pid = 0;
    policies::Classification classification;
    policies::ExitStatus status;
    std::chrono::system_clock::time_point started_at;
    std::chrono::system_clock::time_point ended_at;
    unsigned restarts = 0;
    // Deaths of the same kind since the previous bundle that got none (postmortem.window).
    unsigned deaths_not_bundled = 0;
    cgroup::Limits limits;
    std::optional<std::uint64_t> peak;
    std::optional<std::uint64_t> last;
    std::optional<std::uint64_t> max;
    std::string kernel_log;   // the kernel's report lines; "" for none
    std::string memory_stat;  // "" for none
    std::string memory_csv;   // "" for no samples
    std::filesystem::path stdout_log;
    std::filesystem::path stderr_log;
    // The logs' tails as read at the death, for a bundle written later (the next incarnation may have
    // written to the logs meanwhile); nullopt: read from the logs now.
    std::optional<std::string> stdout_tail;
    std::optional<std::string> stderr_tail;
    std::filesystem::path diagnostics_dir;  // Node's reports and heap snapshots land here; moved in
};

// Returns the bundle's id ("api-0/20261125T131500.123Z-oom-kill"). On failure nothing is left behind (the
// temporary directory is removed) and the error names the errno (ENOSPC: "No space left on device").
Result<std::string> write_bundle(const BundleInput& input, const config::PostmortemSpec& retention);

// Logs that `instance` got no post-mortem. One disk serves every instance, so one throttle
// (policies/error_throttle.hpp) for all of them: a full disk is reported once, again when the error
// changes or a minute later with the count in between, and once when a bundle is written again
// (log_bundle_written).
void log_bundle_failure(const std::string& instance, const SysError& error);
void log_bundle_written();

}  // namespace corral::supervisor::postmortem
