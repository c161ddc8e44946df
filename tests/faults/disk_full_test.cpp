// Faults: the state directory's disk fills up (a 4 MiB tmpfs). A crash's post-mortem fails with the real
// cause (ENOSPC) and leaves no temporary directory; the failures of status.json and post-mortems are
// logged a bounded number of times; the daemon keeps answering; once space is freed, writes work again.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/control_socket.hpp"
#include "tests/support/processes.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/text.hpp"

using namespace corral::test;
namespace fs = std::filesystem;

namespace {

// A tmpfs of `size` mounted at `dir` for the life of the guard (unmounted even when the test fails).
class TmpfsMount {
public:
    TmpfsMount(const fs::path& dir, const std::string& size) : dir_(dir) {
        fs::create_directories(dir);
        mounted_ = ::mount("tmpfs", dir.c_str(), "tmpfs", 0, ("size=" + size).c_str()) == 0;
    }
    ~TmpfsMount() {
        if (mounted_) ::umount2(dir_.c_str(), MNT_DETACH);
    }
    TmpfsMount(const TmpfsMount&) = delete;
    TmpfsMount& operator=(const TmpfsMount&) = delete;
    bool mounted() const { return mounted_; }

private:
    fs::path dir_;
    bool mounted_ = false;
};

// Writes `file` until the filesystem is full.
void fill(const fs::path& file) {
    const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    REQUIRE(fd >= 0);
    const std::string block(64 * 1024, 'x');
    while (::write(fd, block.data(), block.size()) > 0) {
    }
    while (::write(fd, block.data(), 1) > 0) {
    }
    ::close(fd);
}

std::size_t occurrences(const std::string& text, const std::string& needle) {
    std::size_t count = 0;
    for (auto pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + 1)) ++count;
    return count;
}

std::vector<fs::path> temp_dirs_below(const fs::path& root) {
    std::vector<fs::path> found;
    std::error_code ec;
    for (const auto& entry : fs::recursive_directory_iterator(root, ec)) {
        if (entry.is_directory(ec) && entry.path().filename().string().ends_with(".tmp")) found.push_back(entry.path());
    }
    return found;
}

std::size_t bundle_count(const fs::path& state) {
    std::size_t count = 0;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(state / "postmortem" / "crasher-0", ec)) {
        // A bundle still being written is its "<name>.tmp" directory.
        count += entry.is_directory(ec) && entry.path().extension() != ".tmp" ? 1 : 0;
    }
    return count;
}

}  // namespace

TEST_CASE("faults: a full state directory - named errors, no temporary directories, bounded logging, recovery") {
    if (::geteuid() != 0) {
        MESSAGE("skipped: mounting a tmpfs needs root");
        return;
    }
    TempDir dir;
    const fs::path state = dir / "state";
    TmpfsMount tmpfs(state, "4m");
    REQUIRE(tmpfs.mounted());
    dir.write("corral.toml", subst(R"TOML(
[supervisor]
state_dir = "${state}"
sample_interval = "200ms"
postmortem = { window = "0s" }   # every crash tries its bundle (a crash loop would get one a minute)

[services.crasher]
command = ["node", "${crasher}"]
env = { RECORD_FILE = "${record}", EXIT_AFTER_MS = "300" }
backoff = { initial = "200ms", max = "200ms" }
start_limit = { interval = "0s" }

[services.idle]
command = ["node", "${idle}"]
)TOML", {{"state", state.string()}, {"crasher", fixture("crasher.js")}, {"idle", fixture("idle.js")},
         {"record", (dir / "record").string()}}));
    CorralProcess corral(dir.path(), {"up"}, state);
    REQUIRE(wait_until([&] { return bundle_count(state) >= 1; }, 20s));  // post-mortems work at first

    fill(state / "filler");
    const std::size_t bundles_when_full = bundle_count(state);
    const std::string before = corral.stderr_text();
    std::this_thread::sleep_for(6s);  // ~12 crashes and ~30 status writes meanwhile
    const std::string during = corral.stderr_text().substr(before.size());

    MESSAGE("6 s with the disk full: " << occurrences(during, "no post-mortem") << " post-mortem error line(s), "
                                        << occurrences(during, "cannot write " + (state / "status.json").string())
                                        << " status.json error line(s)");
    CHECK(during.find("no post-mortem") != std::string::npos);
    CHECK(during.find("No space left on device") != std::string::npos);
    CHECK(during.find("Input/output error") == std::string::npos);
    CHECK(occurrences(during, "no post-mortem") <= 2);
    CHECK(occurrences(during, "cannot write " + (state / "status.json").string()) <= 2);
    CHECK(occurrences(during, "LOG ERROR") == 0);
    CHECK(temp_dirs_below(state) == std::vector<fs::path>{});
    CHECK(bundle_count(state) == bundles_when_full);
    SocketClient client(state / "corral.sock");
    REQUIRE(client.connected());
    CHECK(client.request("status")["ok"] == true);

    fs::remove(state / "filler");
    const auto freed = std::chrono::steady_clock::now();
    REQUIRE(wait_until([&] { return bundle_count(state) > bundles_when_full; }, 20s));
    MESSAGE("first post-mortem after space was freed: "
            << std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - freed).count() << " ms");
    REQUIRE(wait_until([&] { return corral.stderr_text().find("status.json is written again") != std::string::npos; }, 10s));
    CHECK(wait_until([&] { return corral.stderr_text().find("post-mortems are written again") != std::string::npos; }, 10s));
    CHECK(temp_dirs_below(state) == std::vector<fs::path>{});
    CHECK(corral.stop() == 0);
}
