// When the cgroup's files cannot be used (out of descriptors: EMFILE), stop and kill still reach every
// process: the process group, then each process the cgroup was last seen with (one that left the process
// group with setsid included). The cgroup is a fake cgroupfs whose cgroup.procs and cgroup.kill fail.
#include <doctest/doctest.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <memory>
#include <string>
#include <vector>

#include "supervisor/cgroup/instance_group.hpp"
#include "supervisor/instance/incarnation.hpp"
#include "tests/support/fake_v2_host.hpp"
#include "tests/support/uv_loop.hpp"

using namespace corral::supervisor;
using corral::UvHandle;
using corral::test::FakeV2Host;
using corral::test::Loop;
using corral::test::run_until;
using namespace std::chrono_literals;

namespace {

struct GoneOwner final : IncarnationOwner {
    bool gone = false;
    corral::policies::ExitStatus status;
    std::unique_ptr<Incarnation> incarnation;

    void on_exec(const ExecReport&) override {}
    void on_gone(const corral::policies::ExitStatus& exit) override {
        gone = true;
        status = exit;
        incarnation.reset();
    }
};

struct Output {
    UvHandle<uv_pipe_t> pipe;
    std::string text;

    explicit Output(uv_loop_t* loop) {
        REQUIRE(pipe.init(uv_pipe_init, loop, 0) == 0);
        pipe.get()->data = this;
    }
    void start() {
        REQUIRE(uv_read_start(
                    pipe.stream(),
                    [](uv_handle_t*, size_t, uv_buf_t* buf) {
                        static char buffer[256];
                        *buf = uv_buf_init(buffer, sizeof buffer);
                    },
                    [](uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
                        auto* self = static_cast<Output*>(stream->data);
                        if (nread > 0) self->text.append(buf->base, static_cast<std::size_t>(nread));
                        if (nread < 0) self->pipe.close();
                    }) == 0);
    }
};

// A main process (the group leader) and a grandchild in a session of its own, both in the fake cgroup
// "api/0"; every process is killed when the test ends, whatever happened.
struct Family {
    Family() { ::prctl(PR_SET_CHILD_SUBREAPER, 1); }
    ~Family() {
        if (main > 0) ::kill(-main, SIGKILL);
        if (grandchild > 0) ::kill(grandchild, SIGKILL);
        owner.incarnation.reset();
        if (grandchild > 0) ::waitpid(grandchild, nullptr, 0);
        ::prctl(PR_SET_CHILD_SUBREAPER, 0);
    }

    Loop loop;
    OrphanReaper reaper{loop.get()};
    FakeV2Host host;
    std::unique_ptr<corral::supervisor::cgroup::Driver> driver = host.open();
    std::unique_ptr<InstanceGroup> group = InstanceGroup::create(*driver, "api#0", "api/0", {});
    GoneOwner owner;
    pid_t main = 0;
    pid_t grandchild = 0;

    void start() {
        REQUIRE(group != nullptr);
        Output out(loop.get());
        SpawnRequest request;
        request.argv = exec_shim_argv({std::filesystem::read_symlink("/proc/self/exe").string(), false},
                                      static_cast<int>(::getpid()), {},
                                      {"/bin/sh", "-c", "setsid sleep 30 & echo $!; exec sleep 30"});
        request.env = {"PATH=/usr/bin:/bin"};
        request.stdout_pipe = out.pipe.get();
        request.group = group.get();
        REQUIRE(Incarnation::spawn(loop.get(), reaper, owner, request, owner.incarnation) == 0);
        main = owner.incarnation->pid();
        out.start();
        REQUIRE(run_until(loop.get(), [&] { return out.text.find('\n') != std::string::npos; }, 10s));
        grandchild = std::stoi(out.text);
        REQUIRE(grandchild > 0);
        REQUIRE(run_until(loop.get(), [&] { return ::getsid(grandchild) == grandchild; }, 10s));
        host.fs.place(host.top / "api" / "0", main);
        host.fs.place(host.top / "api" / "0", grandchild);
    }

    // Dead and reaped (by this test or by the reaper, which takes orphans re-parented to the test).
    bool grandchild_reaped() {
        if (grandchild == 0) return true;
        ::waitpid(grandchild, nullptr, WNOHANG);
        const bool gone = ::kill(grandchild, 0) != 0 && errno == ESRCH;
        if (gone) grandchild = 0;
        return gone;
    }

    int close() {
        owner.incarnation.reset();
        group.reset();
        reaper.close();
        return loop.close();
    }
};

}  // namespace

TEST_CASE("group fallback: with cgroup.procs unreadable, the stop signal reaches the process group and known pids") {
    Family f;
    f.start();
    f.owner.incarnation->signal_group(0);  // reads the group: both processes become known
    CHECK(f.group->known_pids().size() == 2);

    f.host.fs.fail_files("cgroup.procs", EMFILE);
    f.owner.incarnation->mark_stopping();
    f.owner.incarnation->signal_group(SIGTERM);
    REQUIRE(run_until(f.loop.get(), [&] { return f.owner.gone; }, 10s));
    CHECK(f.owner.status.signal == SIGTERM);
    REQUIRE(run_until(f.loop.get(), [&] { return f.grandchild_reaped(); }, 10s));
    f.main = 0;
    CHECK(f.close() == 0);
}

TEST_CASE("group fallback: with cgroup.kill and cgroup.procs failing, SIGKILL still reaches every process") {
    Family f;
    f.start();
    f.owner.incarnation->signal_group(0);
    f.host.fs.fail_files("cgroup.procs", EMFILE);
    f.host.fs.fail_files("cgroup.kill", EMFILE);
    f.owner.incarnation->signal_group(SIGKILL);
    REQUIRE(run_until(f.loop.get(), [&] { return f.owner.gone; }, 10s));
    CHECK(f.owner.status.signal == SIGKILL);
    REQUIRE(run_until(f.loop.get(), [&] { return f.grandchild_reaped(); }, 10s));
    f.main = 0;
    CHECK(f.close() == 0);
}

TEST_CASE("group fallback: an unreadable group counts as populated while a known process lives") {
    Family f;
    f.start();
    f.owner.incarnation->signal_group(0);
    f.host.fs.fail_files("cgroup.events", EMFILE);
    f.host.fs.fail_files("cgroup.procs", EMFILE);
    CHECK(f.group->populated());
    ::kill(-f.main, SIGKILL);
    ::kill(f.grandchild, SIGKILL);
    REQUIRE(run_until(f.loop.get(), [&] { return f.owner.gone && f.grandchild_reaped(); }, 10s));
    f.main = 0;
    CHECK_FALSE(f.group->populated());
    f.host.fs.fail_files("cgroup.events", 0);
    f.host.fs.fail_files("cgroup.procs", 0);
    CHECK(f.close() == 0);
}
