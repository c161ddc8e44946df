#pragma once
// Kernel log records of OOM kills, for the tests of the report assembler and the kernel log reader.
#include <string>
#include <vector>

namespace corral::test {

inline const std::string kMemcg = "/process_api/6828b407b1a749a051788d335722ca3f/corral-limit-5565/corral-083e58d9901e/hog/0";

// A memcg OOM kill recorded on our machines (Linux 6.18, cgroup v1 memory; trimmed).
inline const std::vector<std::string> kMemcgReport = {
    "node invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=0",
    "CPU: 1 UID: 0 PID: 5859 Comm: node Not tainted 6.18.44-fc-v509 #1 PREEMPT(none) ",
    "Call Trace:",
    " <TASK>",
    " dump_stack_lvl+0x57/0x80",
    " dump_header+0x43/0x1c0",
    " oom_kill_process.cold+0x8/0x8a",
    " out_of_memory+0x214/0x500",
    " mem_cgroup_out_of_memory+0xc0/0x110",
    " try_charge_memcg+0x422/0x6f0",
    " </TASK>",
    "memory: usage 262144kB, limit 262144kB, failcnt 68",
    "memory+swap: usage 262144kB, limit 9007199254740988kB, failcnt 0",
    "kmem: usage 1172kB, limit 9007199254740988kB, failcnt 0",
    "Memory cgroup stats for " + kMemcg + ":",
    "cache 0",
    "rss 267235328",
    "total_rss 267235328",
    "Tasks state (memory values in pages):",
    "[  pid  ]   uid  tgid total_vm      rss rss_anon rss_file rss_shmem pgtables_bytes swapents oom_score_adj name",
    "[   5859]     0  5859   311562    73811    65216     8595         0   999424        0             0 node",
    "oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,oom_memcg=" + kMemcg +
        ",task_memcg=" + kMemcg + ",task=node,pid=5859,uid=0",
    "Memory cgroup out of memory: Killed process 5859 (node) total-vm:1246248kB, anon-rss:260864kB, "
    "file-rss:34380kB, shmem-rss:0kB, UID:0 pgtables:976kB oom_score_adj:0",
};

// A global OOM kill, in the formats of DESIGN.md section 3.
inline const std::vector<std::string> kGlobalReport = {
    "node invoked oom-killer: gfp_mask=0x140cca(GFP_HIGHUSER_MOVABLE|__GFP_COMP), order=0, oom_score_adj=0",
    "Mem-Info:",
    "active_anon:1903 inactive_anon:480716 isolated_anon:0",
    "Tasks state (memory values in pages):",
    "[   4242]     0  4242   311562   473811   465216     8595         0  3999424        0             0 node",
    "oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),cpuset=/,mems_allowed=0,global_oom,"
    "task_memcg=/corral-1/api/0,task=node,pid=4242,uid=0",
    "Out of memory: Killed process 4242 (node) total-vm:1895336kB, anon-rss:1860864kB, file-rss:34380kB, "
    "shmem-rss:0kB, UID:0 pgtables:3904kB oom_score_adj:0",
};

}  // namespace corral::test
