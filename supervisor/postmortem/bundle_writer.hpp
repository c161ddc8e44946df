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
    std::filesystem::path diagnostics_dir;  // Node's reports and heap snapshots land here; moved in
};

// Returns the bundle's id ("api-0/20261125T131500.123Z-oom-kill").
Result<std::string> write_bundle(const BundleInput& input, const config::PostmortemSpec& retention);

}  // namespace corral::supervisor::postmortem
