// The kernel log reader on a real libuv loop. The log is a FIFO the test writes records to: the reader
// splits what it reads on the record structure, so several records per read (or a record cut in two)
// work as one record per read does on /dev/kmsg. Failures of /dev/kmsg (EPIPE, EINVAL) are injected
// through the read function.
#include "supervisor/kmsg/kmsg_reader.hpp"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <string>
#include <vector>

#include "tests/support/oom_records.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/uv_loop.hpp"

using namespace std::chrono_literals;
using corral::UniqueFd;
using corral::supervisor::kmsg::KmsgReader;
using corral::supervisor::kmsg::OomReport;
using corral::supervisor::kmsg::parse_kmsg_record;
using corral::test::kMemcgReport;
using corral::test::Loop;
using corral::test::run_until;

namespace {

// A FIFO standing in for /dev/kmsg, held open for writing (O_RDWR never blocks on a FIFO).
struct FakeKmsg {
    corral::test::TempDir dir;
    std::string path = (dir / "kmsg").string();
    UniqueFd writer;

    FakeKmsg() {
        REQUIRE(::mkfifo(path.c_str(), 0600) == 0);
        writer.reset(::open(path.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC));
        REQUIRE(writer);
    }
    void write(const std::string& data) {
        REQUIRE(::write(writer.get(), data.data(), data.size()) == static_cast<ssize_t>(data.size()));
    }
};

// One record as /dev/kmsg formats it.
std::string raw(std::uint64_t seq, const std::string& message, int prio = 6) {
    return std::to_string(prio) + "," + std::to_string(seq) + "," + std::to_string(1000 * seq) + ",-;" + message + "\n";
}

// The records of kMemcgReport, numbered from `seq`.
std::string memcg_report_records(std::uint64_t seq) {
    std::string data;
    for (const auto& message : kMemcgReport) data += raw(seq++, message);
    return data;
}

}  // namespace

TEST_CASE("kmsg reader: a report written to the log is delivered") {
    Loop loop;
    FakeKmsg kmsg;
    std::vector<OomReport> reports;
    KmsgReader reader(loop.get(), [&](const OomReport& r) { reports.push_back(r); }, {.path = kmsg.path});
    REQUIRE(reader.open());
    CHECK(reader.is_open());

    // One record per read first, as /dev/kmsg returns them; a record with continuation lines.
    kmsg.write(raw(1, "EXT4-fs (vda): mounted filesystem"));
    CHECK(run_until(loop.get(), [&] { return reader.records() == 1; }, 5s));
    kmsg.write("6,2,2000,-;usb 1-1: new device\n SUBSYSTEM=usb\n DEVICE=c189:1\n");
    CHECK(run_until(loop.get(), [&] { return reader.records() == 2; }, 5s));
    // Then the whole report at once.
    kmsg.write(memcg_report_records(3));
    CHECK(run_until(loop.get(), [&] { return reports.size() == 1; }, 5s));

    REQUIRE(reports.size() == 1);
    CHECK(reports[0].pid == 5859);
    CHECK(reports[0].oom_memcg == corral::test::kMemcg);
    CHECK(reports[0].lines == kMemcgReport);
    CHECK(reader.records() == 2 + kMemcgReport.size());
    CHECK(reader.overruns() == 0);
    REQUIRE(reader.recent().size() == 5);  // invoked oom-killer, oom_kill_process, header, summary, kill
    CHECK(reader.recent().front() == kMemcgReport.front());
    CHECK(reader.recent().back() == kMemcgReport.back());

    reader.close();
    reader.close();
    CHECK_FALSE(reader.is_open());
    CHECK(loop.close() == 0);
}

TEST_CASE("kmsg reader: a record cut across two reads is joined") {
    Loop loop;
    FakeKmsg kmsg;
    int reads = 0;
    std::vector<OomReport> reports;
    KmsgReader::Options options{.path = kmsg.path, .read = [&](int fd, char* buffer, std::size_t size) {
                                    const ssize_t n = ::read(fd, buffer, size);
                                    if (n > 0) ++reads;
                                    return n;
                                }};
    KmsgReader reader(loop.get(), [&](const OomReport& r) { reports.push_back(r); }, options);
    REQUIRE(reader.open());

    const std::string record = raw(7, kMemcgReport.back());
    kmsg.write(record.substr(0, 30));
    CHECK(run_until(loop.get(), [&] { return reads == 1; }, 5s));
    CHECK(reader.records() == 0);
    kmsg.write(record.substr(30));
    CHECK(run_until(loop.get(), [&] { return reports.size() == 1; }, 5s));
    REQUIRE(reports.size() == 1);
    CHECK(reports[0].pid == 5859);
    CHECK(reports[0].start_lost);

    reader.close();
    CHECK(loop.close() == 0);
}

TEST_CASE("kmsg reader: an overrun is counted and the report still completes") {
    Loop loop;
    FakeKmsg kmsg;
    bool overrun_next = false;
    std::vector<OomReport> reports;
    KmsgReader::Options options{.path = kmsg.path, .read = [&](int fd, char* buffer, std::size_t size) -> ssize_t {
                                    if (std::exchange(overrun_next, false)) {
                                        errno = EPIPE;
                                        return -1;
                                    }
                                    return ::read(fd, buffer, size);
                                }};
    KmsgReader reader(loop.get(), [&](const OomReport& r) { reports.push_back(r); }, options);
    REQUIRE(reader.open());

    kmsg.write(raw(10, kMemcgReport.front()));
    CHECK(run_until(loop.get(), [&] { return reader.records() == 1; }, 5s));
    // Records 11 to 14 were overwritten before the reader got to them.
    overrun_next = true;
    kmsg.write(raw(15, kMemcgReport[kMemcgReport.size() - 2]) + raw(16, kMemcgReport.back()));
    CHECK(run_until(loop.get(), [&] { return reports.size() == 1; }, 5s));

    CHECK(reader.overruns() == 1);
    CHECK(reader.lost() == 4);
    REQUIRE(reports.size() == 1);
    CHECK(reports[0].task_memcg == corral::test::kMemcg);
    CHECK(reports[0].lines == std::vector<std::string>{kMemcgReport.front(),
                                                       "[... kernel log overrun: 4 records lost ...]",
                                                       kMemcgReport[kMemcgReport.size() - 2], kMemcgReport.back()});
    reader.close();
    CHECK(loop.close() == 0);
}

TEST_CASE("kmsg reader: a record too long for the buffer is skipped") {
    Loop loop;
    FakeKmsg kmsg;
    bool too_long_next = true;
    std::vector<OomReport> reports;
    KmsgReader::Options options{.path = kmsg.path, .read = [&](int fd, char* buffer, std::size_t size) -> ssize_t {
                                    if (std::exchange(too_long_next, false)) {
                                        errno = EINVAL;
                                        return -1;
                                    }
                                    return ::read(fd, buffer, size);
                                }};
    KmsgReader reader(loop.get(), [&](const OomReport& r) { reports.push_back(r); }, options);
    REQUIRE(reader.open());
    kmsg.write(raw(1, kMemcgReport.back()));
    CHECK(run_until(loop.get(), [&] { return reports.size() == 1; }, 5s));
    CHECK(reader.skipped() == 1);
    CHECK(reader.is_open());
    reader.close();
    CHECK(loop.close() == 0);
}

TEST_CASE("kmsg reader: records from user space cannot fake a kill") {
    Loop loop;
    FakeKmsg kmsg;
    std::vector<OomReport> reports;
    KmsgReader reader(loop.get(), [&](const OomReport& r) { reports.push_back(r); }, {.path = kmsg.path});
    REQUIRE(reader.open());
    kmsg.write(raw(1, kMemcgReport.back(), 14) + raw(2, "the end"));
    CHECK(run_until(loop.get(), [&] { return reader.records() == 2; }, 5s));
    CHECK(reports.empty());
    CHECK(reader.recent().empty());
    reader.close();
    CHECK(loop.close() == 0);
}

TEST_CASE("kmsg reader: the report callback may close the reader") {
    Loop loop;
    FakeKmsg kmsg;
    int delivered = 0;
    KmsgReader* self = nullptr;
    KmsgReader reader(loop.get(), [&](const OomReport&) {
        ++delivered;
        self->close();
    }, {.path = kmsg.path});
    self = &reader;
    REQUIRE(reader.open());
    kmsg.write(raw(1, kMemcgReport.back()) + raw(2, kMemcgReport.back()));
    CHECK(run_until(loop.get(), [&] { return !reader.is_open(); }, 5s));
    CHECK(delivered == 1);
    CHECK(loop.close() == 0);
}

TEST_CASE("kmsg reader: the end of a pipe closes the reader") {
    Loop loop;
    FakeKmsg kmsg;
    KmsgReader reader(loop.get(), nullptr, {.path = kmsg.path});
    REQUIRE(reader.open());
    kmsg.writer.reset();
    CHECK(run_until(loop.get(), [&] { return !reader.is_open(); }, 5s));
    CHECK(loop.close() == 0);
}

TEST_CASE("kmsg reader: open fails with the path and the reason") {
    Loop loop;
    corral::test::TempDir dir;
    KmsgReader reader(loop.get(), nullptr, {.path = (dir / "missing").string()});
    const auto status = reader.open();
    REQUIRE_FALSE(status);
    CHECK(status.error().code == ENOENT);
    CHECK(status.error().message() == "cannot open " + (dir / "missing").string() + ": No such file or directory");
    CHECK_FALSE(reader.is_open());
    reader.close();
    CHECK(loop.close() == 0);
}

TEST_CASE("kmsg reader: the real /dev/kmsg opens at its end and reads without error") {
    if (::geteuid() != 0) {
        MESSAGE("skipped: reading /dev/kmsg needs root here");
        return;
    }
    // The newest record now: everything up to it is history the reader must skip.
    std::uint64_t newest = 0;
    {
        UniqueFd fd(::open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC));
        if (!fd) {
            MESSAGE("skipped: cannot open /dev/kmsg: " << std::strerror(errno));
            return;
        }
        char buffer[KmsgReader::kBufferSize];
        for (ssize_t n; (n = ::read(fd.get(), buffer, sizeof buffer)) != 0;) {
            if (n < 0 && errno == EPIPE) continue;
            if (n < 0) break;
            if (const auto record = parse_kmsg_record(std::string_view(buffer, static_cast<std::size_t>(n)))) {
                newest = record->seq;
            }
        }
    }

    Loop loop;
    std::vector<std::uint64_t> seqs;
    KmsgReader::Options options{.read = [&](int fd, char* buffer, std::size_t size) {
        const ssize_t n = ::read(fd, buffer, size);
        if (n > 0) {
            if (const auto record = parse_kmsg_record(std::string_view(buffer, static_cast<std::size_t>(n)))) {
                seqs.push_back(record->seq);
            }
        }
        return n;
    }};
    KmsgReader reader(loop.get(), nullptr, options);
    REQUIRE(reader.open());
    run_until(loop.get(), [] { return false; }, 200ms);
    CHECK(reader.is_open());  // no error closed it
    for (const auto seq : seqs) CHECK(seq > newest);  // other tenants may log meanwhile: only new records
    reader.close();
    CHECK(loop.close() == 0);
}
