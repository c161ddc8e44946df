#pragma once
// The kernel's OOM-kill reports, assembled from kernel log records. Pure: no I/O, no clock.
//
// One report is a run of records that the kernel prints under its global oom_lock, so two reports never
// interleave in the kernel. In the log they still mix with other records (drivers, filesystems, other
// CPUs), and a reader that falls behind loses records (/dev/kmsg EPIPE), so the assembler trusts nothing
// but the record that ends a report:
//
//   node invoked oom-killer: gfp_mask=..., order=0, oom_score_adj=0          starts a report
//   ... call trace, memory usage and stats, "Tasks state" dump of every candidate task ...
//   oom-kill:constraint=CONSTRAINT_MEMCG,...,oom_memcg=<path>,task_memcg=<path>,task=node,pid=N,uid=0
//   Memory cgroup out of memory: Killed process N (node) total-vm:...kB, ...  ends it (memcg OOM)
//   Out of memory: Killed process N (node) total-vm:...kB, ...               ends it (global OOM)
//
// - A "Killed process" record always yields a report. When its start was lost it has what that record
//   says (pid, comm, global or memcg, sizes) and `start_lost` is set; when the open report's oom-kill
//   summary names another pid, the open report belongs to a kill whose end was lost: it is dropped.
// - A new "invoked oom-killer" while a report is open starts over (the previous kill's end was lost).
// - Records logged meanwhile by others are kept in `lines`, as they came: they cannot be told apart.
// - A report whose kill never comes (the kernel found no victim, or the end was lost) stays open, its
//   lines bounded, until the next start or kill.
// - `lines` is capped (a global OOM dumps every task of the machine): the first `head` and the last
//   `tail` records are kept, with one "[... N records omitted ...]" line between them.
// - Consumers filter on `pid` and the memcg paths: other tenants' kills are in the same log.
#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace corral::supervisor::kmsg {

// What the kernel prints in the "Killed process" record.
struct KilledProcess {
    pid_t pid = 0;               // the killed process
    std::string task;            // its comm, e.g. "node"
    bool global = false;         // a machine-wide OOM ("Out of memory: ...")

    // Sizes of the victim when it was killed; 0 when the kernel did not print them.
    std::uint64_t total_vm_kb = 0;
    std::uint64_t anon_rss_kb = 0;
    std::uint64_t file_rss_kb = 0;
    std::uint64_t shmem_rss_kb = 0;
    std::uint64_t pgtables_kb = 0;
    std::optional<std::uint32_t> uid;
    std::optional<int> oom_score_adj;
};

// A whole report: what its "Killed process" record says, and what the records before it said.
struct OomReport : KilledProcess {
    std::string task_memcg;      // the victim's memory cgroup ("" when the summary was lost)
    std::string oom_memcg;       // the cgroup whose limit was hit ("" for a global OOM or when lost)
    std::string constraint;      // CONSTRAINT_MEMCG, CONSTRAINT_NONE, CONSTRAINT_CPUSET, ... ("" when lost)
    std::string invoker;         // comm of the task whose allocation failed ("" when the start was lost)
    bool start_lost = false;     // no "invoked oom-killer" record was seen for this kill
    std::vector<std::string> lines;  // the report's records in order, start to kill, capped
    std::string killed_line;     // the "Killed process" record
};

// What the "oom-kill:constraint=..." summary record says.
struct OomSummary {
    std::string constraint;
    std::string oom_memcg;
    std::string task_memcg;
    bool global = false;
    std::string task;
    std::optional<pid_t> pid;
    std::optional<std::uint32_t> uid;
};

// "<prefix>: Killed process N (comm) total-vm:...": nullopt for any other record.
std::optional<KilledProcess> parse_killed_process(std::string_view message);
// "oom-kill:constraint=...": nullopt for any other record. Values may contain commas (a cgroup path, a
// comm, "mems_allowed=0-1,3"): a piece that does not start a known field continues the previous value.
std::optional<OomSummary> parse_oom_summary(std::string_view message);
// "<comm> invoked oom-killer: ...": the comm, or nullopt for any other record.
std::optional<std::string> parse_oom_start(std::string_view message);

class OomReportAssembler {
public:
    explicit OomReportAssembler(std::size_t head = 40, std::size_t tail = 160) : head_(head), tail_(tail) {}

    // Feeds the message text of one kernel log record; returns the report this record completes.
    std::optional<OomReport> feed(std::string_view message);
    // Records were lost here (reader overrun; 0 = how many is unknown): an open report gets a marker line.
    void note_lost(std::uint64_t count);
    // Drops the open report, if any.
    void reset();

    bool open() const { return open_; }

private:
    void add_line(std::string_view line);
    OomReport finish(const KilledProcess& killed, std::string_view message);

    std::size_t head_;
    std::size_t tail_;
    bool open_ = false;
    std::string invoker_;
    std::optional<OomSummary> summary_;
    std::vector<std::string> head_lines_;
    std::deque<std::string> tail_lines_;
    std::uint64_t omitted_ = 0;
};

}  // namespace corral::supervisor::kmsg
