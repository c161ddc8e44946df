#include "supervisor/kmsg/oom_report.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "tests/support/doctest_strings.hpp"
#include "tests/support/oom_records.hpp"

using corral::supervisor::kmsg::OomReport;
using corral::supervisor::kmsg::OomReportAssembler;
using corral::supervisor::kmsg::parse_killed_process;
using corral::supervisor::kmsg::parse_oom_start;
using corral::supervisor::kmsg::parse_oom_summary;
using corral::test::kGlobalReport;
using corral::test::kMemcg;
using corral::test::kMemcgReport;

namespace {

// Feeds `records`; every report they complete, in order.
std::vector<OomReport> feed_all(OomReportAssembler& assembler, const std::vector<std::string>& records) {
    std::vector<OomReport> reports;
    for (const auto& record : records) {
        if (auto report = assembler.feed(record)) reports.push_back(std::move(*report));
    }
    return reports;
}

}  // namespace

TEST_CASE("oom report: a recorded memcg kill gives the victim - its cgroups and its sizes") {
    OomReportAssembler assembler;
    const auto reports = feed_all(assembler, kMemcgReport);
    REQUIRE(reports.size() == 1);
    const OomReport& report = reports[0];
    CHECK(report.pid == 5859);
    CHECK(report.task == "node");
    CHECK(report.invoker == "node");
    CHECK_FALSE(report.global);
    CHECK_FALSE(report.start_lost);
    CHECK(report.constraint == "CONSTRAINT_MEMCG");
    CHECK(report.oom_memcg == kMemcg);
    CHECK(report.task_memcg == kMemcg);
    CHECK(report.total_vm_kb == 1246248);
    CHECK(report.anon_rss_kb == 260864);
    CHECK(report.file_rss_kb == 34380);
    CHECK(report.shmem_rss_kb == 0);
    CHECK(report.pgtables_kb == 976);
    CHECK(report.uid == 0u);
    CHECK(report.oom_score_adj == 0);
    CHECK(report.lines == kMemcgReport);
    CHECK(report.killed_line == kMemcgReport.back());
    CHECK_FALSE(assembler.open());
}

TEST_CASE("oom report: a global kill says global_oom and Out of memory") {
    OomReportAssembler assembler;
    const auto reports = feed_all(assembler, kGlobalReport);
    REQUIRE(reports.size() == 1);
    const OomReport& report = reports[0];
    CHECK(report.pid == 4242);
    CHECK(report.global);
    CHECK(report.constraint == "CONSTRAINT_NONE");
    CHECK(report.oom_memcg.empty());
    CHECK(report.task_memcg == "/corral-1/api/0");
    CHECK(report.anon_rss_kb == 1860864);
    CHECK(report.lines == kGlobalReport);
}

TEST_CASE("oom report: unrelated records before and inside a report are tolerated") {
    OomReportAssembler assembler;
    std::vector<std::string> records = {"EXT4-fs (vda): mounted filesystem with ordered data mode",
                                        "eth0: link up"};
    records.insert(records.end(), kMemcgReport.begin(), kMemcgReport.begin() + 5);
    records.push_back("EXT4-fs warning (device vda): ext4_dx_add_entry: Directory index full!");
    records.insert(records.end(), kMemcgReport.begin() + 5, kMemcgReport.end());
    records.push_back("oom_reaper: reaped process 5859 (node), now anon-rss:0kB, file-rss:0kB, shmem-rss:0kB");

    const auto reports = feed_all(assembler, records);
    REQUIRE(reports.size() == 1);
    CHECK(reports[0].pid == 5859);
    CHECK(reports[0].oom_memcg == kMemcg);
    // Kept as it came: the kernel log cannot tell whose record it is.
    CHECK(reports[0].lines.size() == kMemcgReport.size() + 1);
    CHECK(reports[0].lines[5] == "EXT4-fs warning (device vda): ext4_dx_add_entry: Directory index full!");
    CHECK(reports[0].lines.front() == kMemcgReport.front());
    CHECK_FALSE(assembler.open());
}

TEST_CASE("oom report: a second invoked oom-killer starts over") {
    OomReportAssembler assembler;
    // Another tenant's report whose end was lost, then ours.
    std::vector<std::string> records = {
        "java invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=0",
        "memory: usage 524288kB, limit 524288kB, failcnt 12",
    };
    records.insert(records.end(), kMemcgReport.begin(), kMemcgReport.end());
    const auto reports = feed_all(assembler, records);
    REQUIRE(reports.size() == 1);
    CHECK(reports[0].invoker == "node");
    CHECK(reports[0].lines == kMemcgReport);
}

TEST_CASE("oom report: a kill whose start was lost still gives a report") {
    OomReportAssembler assembler;
    SUBCASE("only the killed line") {
        const auto reports = feed_all(assembler, {"cache 0", kMemcgReport.back()});
        REQUIRE(reports.size() == 1);
        CHECK(reports[0].pid == 5859);
        CHECK(reports[0].task == "node");
        CHECK_FALSE(reports[0].global);
        CHECK(reports[0].start_lost);
        CHECK(reports[0].task_memcg.empty());
        CHECK(reports[0].lines == std::vector<std::string>{kMemcgReport.back()});
        CHECK(reports[0].total_vm_kb == 1246248);
    }
    SUBCASE("the summary and the killed line") {
        const auto reports = feed_all(assembler, std::vector<std::string>(kMemcgReport.end() - 2, kMemcgReport.end()));
        REQUIRE(reports.size() == 1);
        CHECK(reports[0].start_lost);
        CHECK(reports[0].oom_memcg == kMemcg);
        CHECK(reports[0].lines.size() == 2);
    }
    SUBCASE("a global kill") {
        const auto reports = feed_all(assembler, {kGlobalReport.back()});
        REQUIRE(reports.size() == 1);
        CHECK(reports[0].global);
        CHECK(reports[0].pid == 4242);
    }
}

TEST_CASE("oom report: an open report naming another victim is not glued to this kill") {
    OomReportAssembler assembler;
    // The start and summary of a kill of pid 5859, its end lost; then only the end of a kill of pid 777.
    std::vector<std::string> records(kMemcgReport.begin(), kMemcgReport.end() - 1);
    records.push_back("Memory cgroup out of memory: Killed process 777 (python3) total-vm:10kB, anon-rss:1kB, "
                      "file-rss:0kB, shmem-rss:0kB, UID:1000 pgtables:4kB oom_score_adj:-100");
    const auto reports = feed_all(assembler, records);
    REQUIRE(reports.size() == 1);
    CHECK(reports[0].pid == 777);
    CHECK(reports[0].task == "python3");
    CHECK(reports[0].start_lost);
    CHECK(reports[0].oom_memcg.empty());
    CHECK(reports[0].lines.size() == 1);
    CHECK(reports[0].uid == 1000u);
    CHECK(reports[0].oom_score_adj == -100);
    CHECK_FALSE(assembler.open());
}

TEST_CASE("oom report: the task dump of a huge global OOM is capped") {
    OomReportAssembler assembler(40, 160);
    std::vector<std::string> records(kGlobalReport.begin(), kGlobalReport.begin() + 4);
    for (int pid = 1; pid <= 5000; ++pid) {
        records.push_back("[" + std::to_string(pid) + "]     0  " + std::to_string(pid) + "  1000  100 node");
    }
    records.insert(records.end(), kGlobalReport.end() - 2, kGlobalReport.end());
    const auto reports = feed_all(assembler, records);
    REQUIRE(reports.size() == 1);
    const auto& lines = reports[0].lines;
    REQUIRE(lines.size() == 40 + 1 + 160);
    CHECK(lines.front() == kGlobalReport.front());
    CHECK(lines[39] == records[39]);
    CHECK(lines[40] == "[... " + std::to_string(records.size() - 200) + " records omitted ...]");
    CHECK(lines[41] == records[records.size() - 160]);
    CHECK(lines.back() == kGlobalReport.back());
    CHECK(reports[0].task_memcg == "/corral-1/api/0");
}

TEST_CASE("oom report: records lost inside a report leave a marker") {
    OomReportAssembler assembler;
    assembler.note_lost(3);  // no report open: nothing to mark
    assembler.feed(kMemcgReport.front());
    assembler.note_lost(12);
    const auto report = assembler.feed(kMemcgReport.back());
    REQUIRE(report);
    CHECK(report->lines == std::vector<std::string>{kMemcgReport.front(), "[... kernel log overrun: 12 records lost ...]",
                                                    kMemcgReport.back()});
}

TEST_CASE("oom report: summary values with commas and a comm that imitates fields") {
    const auto summary = parse_oom_summary(
        "oom-kill:constraint=CONSTRAINT_CPUSET,nodemask=0-1,3,cpuset=web,mems_allowed=0-1,3,"
        "oom_memcg=/a,b/c,task_memcg=/a,b/c/d,task=x,pid=1,uid=7,pid=4242,uid=0");
    REQUIRE(summary);
    CHECK(summary->constraint == "CONSTRAINT_CPUSET");
    CHECK(summary->oom_memcg == "/a,b/c");
    CHECK(summary->task_memcg == "/a,b/c/d");
    CHECK(summary->task == "x,pid=1,uid=7");
    CHECK(summary->pid == 4242);
    CHECK(summary->uid == 0u);
    CHECK_FALSE(summary->global);

    CHECK_FALSE(parse_oom_summary("oom-kill: nothing here"));
    CHECK_FALSE(parse_oom_summary("not oom-kill:constraint=X"));
}

TEST_CASE("oom report: killed lines of other shapes") {
    const auto odd = parse_killed_process("Out of memory (oom_kill_allocating_task): Killed process 12 (a) b) "
                                          "total-vm:8kB, anon-rss:4kB, file-rss:0kB, shmem-rss:0kB");
    REQUIRE(odd);
    CHECK(odd->global);
    CHECK(odd->pid == 12);
    CHECK(odd->task == "a) b");
    CHECK(odd->anon_rss_kb == 4);
    CHECK_FALSE(odd->uid);

    const auto bare = parse_killed_process("Memory cgroup out of memory: Killed process 9 (node)");
    REQUIRE(bare);
    CHECK(bare->task == "node");
    CHECK(bare->total_vm_kb == 0);

    CHECK_FALSE(parse_killed_process("systemd[1]: Killed process 9 (node) total-vm:1kB"));
    CHECK_FALSE(parse_killed_process("Out of memory: Killed process x (node)"));
    CHECK_FALSE(parse_killed_process("Out of memory: Killed process 9"));
    CHECK_FALSE(parse_killed_process("Out of memory: Killed process 9 ("));
    CHECK_FALSE(parse_killed_process("oom_reaper: reaped process 5859 (node), now anon-rss:0kB"));
    CHECK(parse_oom_start("kworker/0:1 invoked oom-killer: gfp_mask=0x0") == "kworker/0:1");
    CHECK_FALSE(parse_oom_start(" invoked oom-killer: "));
    CHECK_FALSE(parse_oom_start("Tasks state (memory values in pages):"));
}
