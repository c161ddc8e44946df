#pragma once
// The on-disk format of a post-mortem bundle, shared by the writer (the daemon) and the readers
// (`corral postmortem`, tests). One bundle per death of an instance, except a clean requested stop and the
// deaths of a crash loop after the first in its window (policies/postmortem_window.hpp), which are counted:
//
//   <state_dir>/postmortem/<service>-<index>/<UTC time>-<reason>/
//       summary.json     what happened: reason, evidence, exit, times, restarts, limits, memory
//       kernel.log       the kernel's OOM report lines for this death (oom-kill, oom-kill-global)
//       memory.stat      the cgroup's memory.stat when the death was noticed
//       memory.csv       the last 10 minutes of samples (see kMemoryCsvHeader), oldest first, ending with
//                        one taken at the death
//       stdout.log       the last 200 lines of the instance's stdout
//       stderr.log       the last 200 lines of its stderr
//       *.heapsnapshot   heap snapshots Node wrote (memory.snapshot_at)
//       report-*.json    Node's diagnostic report (fatal errors such as a V8 heap out of memory)
//       javascript-stack.json  hung: the JavaScript stack of the stuck code, as the Node agent took it
//                        (javascript_stack.hpp)
//
// <UTC time> is "YYYYMMDDTHHMMSS.mmmZ" (sorts by time), <reason> one of kReasons. A bundle is written
// into "<dir>.tmp" and renamed when complete: a directory without the suffix is always whole.
//
// summary.json (version 1):
// {
//   "version": 1,
//   "id": "api-0/20261125T131500.123Z-oom-kill",       // relative to <state_dir>/postmortem
//   "service": "api", "index": 0, "pid": 1234,
//   "reason": "oom-kill",
//   "evidence": ["memory.oom_control: oom_kill 0 -> 1", "kernel: Memory cgroup out of memory: Killed process 1234 (node) ..."],
//   "exit": {"code": null, "signal": "SIGKILL"},      // code: number or null; signal: name or null
//   "started_at": "2026-11-25T13:14:00.000Z", "ended_at": "2026-11-25T13:15:00.123Z", "uptime_ms": 60123,
//   "restarts": 3,                                       // of the instance before this death
//   "deaths_not_bundled": 0,   // deaths of the same kind since the previous bundle, counted but not bundled
//                              // (a crash loop gets one bundle per postmortem.window; absent before)
//   "limits": {"memory_max": 268435456, "memory_high": null, "swap_max": null, "pids_max": null,
//              "cpu_weight": null, "cpu_max_percent": null},
//   "memory": {"peak": 268435456, "last": 268000000, "max": 268435456},   // bytes; null when unknown
//   "files": ["kernel.log", "memory.stat", "memory.csv", "stdout.log", "stderr.log"]
// }
#include <array>
#include <string_view>

namespace corral::supervisor::postmortem {

inline constexpr std::string_view kDirectory = "postmortem";
inline constexpr std::string_view kSummary = "summary.json";
inline constexpr std::string_view kKernelLog = "kernel.log";
inline constexpr std::string_view kMemoryStat = "memory.stat";
inline constexpr std::string_view kMemoryCsv = "memory.csv";
inline constexpr std::string_view kStdoutTail = "stdout.log";
inline constexpr std::string_view kStderrTail = "stderr.log";
inline constexpr std::string_view kTempSuffix = ".tmp";
inline constexpr std::string_view kJavascriptStack = "javascript-stack.json";
inline constexpr int kSummaryVersion = 1;
inline constexpr int kTailLines = 200;

// Columns of memory.csv; one row per sample. time_ms: UTC milliseconds since the epoch; sizes in bytes;
// refaults_per_s: workingset refaults (anon + file) per second since the previous sample; psi_*: the
// cgroup's memory pressure avg10 in percent (empty when the host has no PSI for it); write_bytes_per_s:
// bytes written by the instance's processes (/proc/<pid>/io write_bytes) per second.
inline constexpr std::string_view kMemoryCsvHeader =
    "time_ms,current,anon,file,dirty,writeback,refaults_per_s,psi_some_avg10,psi_full_avg10,write_bytes_per_s";

inline constexpr std::array<std::string_view, 8> kReasons = {
    "oom-kill",         // the kernel's OOM killer, in the instance's cgroup (memcg OOM)
    "oom-kill-global",  // the kernel's OOM killer, because the whole machine ran out of memory
    "v8-heap-oom",      // Node's V8 heap hit its limit (SIGABRT, "JavaScript heap out of memory")
    "thrashing",        // corral killed it: memory pressure stayed above memory.thrashing for its window
    "memory-limit",     // corral restarted it at memory.restart_at
    "signal",           // killed by a signal, none of the above
    "exit-code",        // exited by itself
    "hung",             // corral killed it: its event loop did not turn for liveness.event_loop
};

}  // namespace corral::supervisor::postmortem
