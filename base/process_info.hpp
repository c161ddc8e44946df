#pragma once
// What /proc says about processes, for the memory monitor.
#include <sys/types.h>

#include <cstdint>
#include <vector>

namespace corral {

// Bytes the processes caused to be written to storage (write_bytes of /proc/<pid>/io, summed; processes
// that are gone count 0).
std::uint64_t written_bytes(const std::vector<pid_t>& pids);

// Whether `pid` runs a Node binary (its /proc/<pid>/exe is named node or nodejs).
bool is_node_process(pid_t pid);

}  // namespace corral
