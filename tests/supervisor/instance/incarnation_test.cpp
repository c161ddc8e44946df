// Incarnations of real processes: the shim is the built corral-exec, or the test binary itself as
// `__exec` (child_main.cpp, the fallback); the programs are /bin/sh and sleep. Every child is bounded (sleep 30, and the shim's parent-death signal) and every test
// kills what it left behind, even when it fails.
#include "supervisor/instance/incarnation.hpp"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "base/uv_handle.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/uv_loop.hpp"

using namespace corral::supervisor;
using corral::UvHandle;
using corral::test::Loop;
using corral::test::TempDir;
using corral::test::run_until;
using namespace std::chrono_literals;

namespace {

ExecShim fallback_shim() { return {std::filesystem::read_symlink("/proc/self/exe").string(), false}; }
ExecShim standalone_shim() { return {CORRAL_EXEC_BINARY, true}; }

// Hears the incarnation like an Instance does, and drops it inside on_gone as an Instance does.
struct Owner final : IncarnationOwner {
    std::vector<std::string> events;
    ExecReport exec;
    corral::policies::ExitStatus status;
    std::unique_ptr<Incarnation> incarnation;

    void on_exec(const ExecReport& report) override {
        events.push_back("exec");
        exec = report;
    }
    void on_gone(const corral::policies::ExitStatus& exit) override {
        events.push_back("gone");
        status = exit;
        incarnation.reset();
    }
    bool gone() const { return !events.empty() && events.back() == "gone"; }
};

// The child's stdout, collected as text.
struct Stdout {
    UvHandle<uv_pipe_t> pipe;
    std::string text;

    explicit Stdout(uv_loop_t* loop) {
        REQUIRE(pipe.init(uv_pipe_init, loop, 0) == 0);
        pipe.get()->data = this;
    }
    void start() { REQUIRE(uv_read_start(pipe.stream(), on_alloc, on_read) == 0); }
    static void on_alloc(uv_handle_t*, size_t, uv_buf_t* buf) {
        static char buffer[256];
        *buf = uv_buf_init(buffer, sizeof buffer);
    }
    static void on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
        auto* self = static_cast<Stdout*>(stream->data);
        if (nread > 0) self->text.append(buf->base, static_cast<std::size_t>(nread));
        if (nread < 0) self->pipe.close();
    }
};

// One test's processes: the loop, the reaper, the owner; kills the process group if the test ends
// before the incarnation is gone.
struct Harness {
    Loop loop;
    OrphanReaper reaper{loop.get()};
    Owner owner;
    pid_t pid = 0;

    ~Harness() {
        if (pid > 0 && !owner.gone()) {
            ::kill(-pid, SIGKILL);
            owner.incarnation.reset();
            ::waitpid(pid, nullptr, 0);
        }
    }

    int spawn(const std::vector<std::string>& program, uv_pipe_t* stdout_pipe = nullptr,
              const ExecShim& shim = fallback_shim()) {
        SpawnRequest request;
        request.argv = exec_shim_argv(shim, static_cast<int>(::getpid()), {}, program);
        request.env = {"PATH=/usr/bin:/bin"};
        request.stdout_pipe = stdout_pipe;
        const int rc = Incarnation::spawn(loop.get(), reaper, owner, request, owner.incarnation);
        if (rc == 0) pid = owner.incarnation->pid();
        return rc;
    }
    bool run_until_gone(std::chrono::milliseconds timeout = 10s) {
        return run_until(loop.get(), [this] { return owner.gone(); }, timeout);
    }
    // Everything closed, the loop runs empty.
    int close() {
        reaper.close();
        return loop.close();
    }
};

// Orphans of the test's children are re-parented to the test process while it lives, as they are to
// the daemon, so that the incarnation can reap its whole group.
struct Subreaper {
    Subreaper() { ::prctl(PR_SET_CHILD_SUBREAPER, 1); }
    ~Subreaper() { ::prctl(PR_SET_CHILD_SUBREAPER, 0); }
};

}  // namespace

TEST_CASE("incarnation: on_exec, then on_gone with the program's exit code") {
    for (const ExecShim& shim : {standalone_shim(), fallback_shim()}) {
        CAPTURE(shim.exe);
        Harness h;
        REQUIRE(h.spawn({"/bin/sh", "-c", "exit 3"}, nullptr, shim) == 0);
        CHECK(h.owner.events.empty());  // nothing is heard before the loop runs
        uv_run(h.loop.get(), UV_RUN_DEFAULT);

        CHECK(h.owner.events == std::vector<std::string>{"exec", "gone"});
        CHECK(h.owner.exec.error == 0);
        CHECK(h.owner.status.code == 3);
        CHECK(h.owner.status.signal == 0);
        CHECK(h.close() == 0);
    }
}

TEST_CASE("incarnation: a program that cannot be executed is reported with its errno, then gone with 127") {
    for (const ExecShim& shim : {standalone_shim(), fallback_shim()}) {
        CAPTURE(shim.exe);
        Harness h;
        REQUIRE(h.spawn({"/nonexistent/corral-test-program"}, nullptr, shim) == 0);
        uv_run(h.loop.get(), UV_RUN_DEFAULT);

        CHECK(h.owner.events == std::vector<std::string>{"exec", "gone"});
        CHECK(h.owner.exec.error == ENOENT);
        CHECK(h.owner.exec.stage == ExecStage::exec);
        CHECK(h.owner.status.code == 127);
        CHECK(h.close() == 0);
    }
}

TEST_CASE("incarnation: a file that is not executable is reported with EACCES, then gone with 126") {
    for (const ExecShim& shim : {standalone_shim(), fallback_shim()}) {
        CAPTURE(shim.exe);
        const TempDir dir;
        const std::filesystem::path text = dir.write("not-a-program", "hello\n");
        std::filesystem::permissions(text, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
        Harness h;
        REQUIRE(h.spawn({text.string()}, nullptr, shim) == 0);
        uv_run(h.loop.get(), UV_RUN_DEFAULT);

        CHECK(h.owner.events == std::vector<std::string>{"exec", "gone"});
        CHECK(h.owner.exec.error == EACCES);
        CHECK(h.owner.status.code == 126);
        CHECK(h.close() == 0);
    }
}

TEST_CASE("incarnation: corral-exec closes the descriptors the daemon leaked") {
    Harness h;
    Stdout out(h.loop.get());
    const int stray = ::open("/dev/null", O_RDONLY);  // without O_CLOEXEC, as a careless library would
    REQUIRE(stray > 4);
    REQUIRE(h.spawn({"/bin/sh", "-c", "ls /proc/self/fd"}, out.pipe.get(), standalone_shim()) == 0);
    ::close(stray);
    out.start();
    uv_run(h.loop.get(), UV_RUN_DEFAULT);

    CHECK(h.owner.status.code == 0);
    // ls itself opens one directory descriptor (3); nothing of the test's leaked.
    CHECK(out.text.find("\n" + std::to_string(stray) + "\n") == std::string::npos);
    CHECK(h.close() == 0);
}

TEST_CASE("incarnation: a program that ignores SIGTERM survives signal_group(SIGTERM) and dies of SIGKILL") {
    Harness h;
    Stdout out(h.loop.get());
    REQUIRE(h.spawn({"/bin/sh", "-c", "trap '' TERM; echo ready; exec sleep 30"}, out.pipe.get()) == 0);
    out.start();
    REQUIRE(run_until(h.loop.get(), [&] { return out.text == "ready\n"; }, 10s));

    h.owner.incarnation->signal_group(SIGTERM);
    CHECK_FALSE(h.run_until_gone(300ms));
    CHECK(::kill(h.pid, 0) == 0);
    h.owner.incarnation->signal_group(SIGKILL);
    REQUIRE(h.run_until_gone());
    uv_run(h.loop.get(), UV_RUN_DEFAULT);

    CHECK(h.owner.events == std::vector<std::string>{"exec", "gone"});
    CHECK(h.owner.status.signal == SIGKILL);
    CHECK(h.close() == 0);
}

TEST_CASE("incarnation: a grandchild left in the process group is killed when the main process dies by itself") {
    Subreaper subreaper;
    Harness h;
    Stdout out(h.loop.get());
    REQUIRE(h.spawn({"/bin/sh", "-c", "sleep 30 >/dev/null & echo $!"}, out.pipe.get()) == 0);
    out.start();
    REQUIRE(h.run_until_gone());
    uv_run(h.loop.get(), UV_RUN_DEFAULT);

    CHECK(h.owner.events == std::vector<std::string>{"exec", "gone"});
    CHECK(h.owner.status.code == 0);
    CHECK(h.owner.status.signal == 0);
    const pid_t grandchild = std::stoi(out.text);
    REQUIRE(grandchild > 0);
    CHECK(::kill(grandchild, 0) == -1);
    CHECK(errno == ESRCH);
    CHECK(h.close() == 0);
}

TEST_CASE("incarnation: a standby waits before its exec, then runs with the descriptors it is handed") {
    for (const ExecShim& shim : {standalone_shim(), fallback_shim()}) {
        CAPTURE(shim.exe);
        TempDir dir;
        Harness h;
        SpawnRequest request;
        request.argv = exec_shim_argv(shim, static_cast<int>(::getpid()), {},
                                      {"/bin/sh", "-c", "echo ran > " + (dir / "ran").string() + "; echo hello; exit 4"},
                                      ShimPlacement{.standby = true});
        request.env = {"PATH=/usr/bin:/bin"};
        request.standby = true;
        REQUIRE(Incarnation::spawn(h.loop.get(), h.reaper, h.owner, request, h.owner.incarnation) == 0);
        h.pid = h.owner.incarnation->pid();
        // It waits: no exec reported, its program has not run, it lives.
        run_until(h.loop.get(), [] { return false; }, 300ms);
        CHECK(h.owner.events.empty());
        CHECK_FALSE(std::filesystem::exists(dir / "ran"));
        CHECK(::kill(h.pid, 0) == 0);

        int out[2];
        REQUIRE(::pipe2(out, O_CLOEXEC) == 0);
        corral::UniqueFd read_end(out[0]);
        REQUIRE(h.owner.incarnation->activate(corral::UniqueFd(out[1]), {}, {}));
        CHECK_FALSE(h.owner.incarnation->activate({}, {}, {}));  // once only
        REQUIRE(h.run_until_gone());
        CHECK(h.owner.events == std::vector<std::string>{"exec", "gone"});
        CHECK(h.owner.status.code == 4);
        CHECK(h.owner.incarnation == nullptr);
        char text[16] = {};
        CHECK(::read(read_end.get(), text, sizeof text - 1) == 6);
        CHECK(std::string(text) == "hello\n");
        CHECK(std::filesystem::exists(dir / "ran"));
        CHECK(h.close() == 0);
    }
}

TEST_CASE("incarnation: a standby that is let go exits 0 without running its program") {
    TempDir dir;
    Harness h;
    SpawnRequest request;
    request.argv = exec_shim_argv(standalone_shim(), static_cast<int>(::getpid()), {},
                                  {"/bin/sh", "-c", "echo ran > " + (dir / "ran").string()}, ShimPlacement{.standby = true});
    request.standby = true;
    REQUIRE(Incarnation::spawn(h.loop.get(), h.reaper, h.owner, request, h.owner.incarnation) == 0);
    const pid_t pid = h.owner.incarnation->pid();
    h.pid = pid;
    // Dropped: its end of the go socket closes, and the shim leaves; the test reaps it (the handle is gone).
    h.owner.incarnation.reset();
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    h.pid = 0;
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
    CHECK_FALSE(std::filesystem::exists(dir / "ran"));
    CHECK(h.close() == 0);
}
