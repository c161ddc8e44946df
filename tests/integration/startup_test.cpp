// `corral startup`: the systemd unit for a service file, written where $CORRAL_UNIT_DIR says (the tests'
// stand-in for /etc/systemd/system), never overwritten without --force, and --enable without systemd.
#include <doctest/doctest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <utility>
#include <vector>

#include "tests/support/processes.hpp"
#include "tests/support/temp_dir.hpp"

using namespace corral::test;
namespace fs = std::filesystem;

namespace {

const char* kServices = R"(
[supervisor]
drain_timeout = "10s"

[services.api]
command = ["node", "server.js"]
stop = { timeout = "60s" }

[services.worker]
command = ["node", "worker.js"]
)";

// Sets an environment variable of the test process (inherited by the corral it runs) for one scope.
class ScopedEnv {
public:
    ScopedEnv(const char* name, const std::string& value) : name_(name) { ::setenv(name, value.c_str(), 1); }
    ~ScopedEnv() { ::unsetenv(name_); }
    ScopedEnv(const ScopedEnv&) = delete;
    ScopedEnv& operator=(const ScopedEnv&) = delete;

private:
    const char* name_;
};

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// Runs a shell command line (with a timeout of its own); its exit code and its output, stderr included.
std::pair<int, std::string> shell(const std::string& command) {
    std::string output;
    FILE* pipe = ::popen(("timeout 60 " + command + " 2>&1").c_str(), "r");
    if (pipe == nullptr) return {-1, "popen failed"};
    char buffer[4096];
    for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;) output.append(buffer, n);
    const int status = ::pclose(pipe);
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

}  // namespace

TEST_CASE("corral startup --print shows a notify unit with absolute paths, from another directory") {
    TempDir dir;
    dir.write("shop/corral.toml", kServices);
    const fs::path elsewhere = dir.make_dir("elsewhere");
    const auto result = run_corral(elsewhere, {"startup", "../shop/corral.toml", "--print"});
    REQUIRE_MESSAGE(result.exit_code == 0, result.err);
    const std::string corral = fs::canonical(corral_binary()).string();
    const std::string file = (dir / "shop" / "corral.toml").string();
    const std::vector<std::string> lines = {
        "Type=notify\n", "NotifyAccess=main\n", "ExecStart=" + corral + " up " + file + "\n",
        "ExecReload=" + corral + " reload -c " + file + "\n", "WorkingDirectory=" + (dir / "shop").string() + "\n",
        "Delegate=yes\n", "OOMPolicy=continue\n", "KillMode=control-group\n", "Restart=on-failure\n",
        // the drain (10s), the longest stop.timeout (60s), and 15s for the SIGKILL and the sweep
        "TimeoutStopSec=85\n", "WantedBy=multi-user.target\n"};
    for (const std::string& line : lines) {
        CHECK_MESSAGE(contains(result.out, line), line);
    }
    CHECK_FALSE(fs::exists(elsewhere / "corral-shop.service"));

    const auto user = run_corral(elsewhere, {"startup", "../shop/corral.toml", "--print", "--user"});
    CHECK(contains(user.out, "WantedBy=default.target\n"));
}

TEST_CASE("corral startup writes the unit once, keeps another unit of the same name, and replaces it with --force") {
    TempDir dir;
    dir.write("shop/corral.toml", kServices);
    dir.write("other/corral.toml", kServices);
    const fs::path units = dir / "units";
    ScopedEnv unit_dir("CORRAL_UNIT_DIR", units.string());
    const fs::path unit = units / "corral-shop.service";

    const auto printed = run_corral(dir / "shop", {"startup", "--print"});
    const auto written = run_corral(dir / "shop", {"startup"});
    REQUIRE_MESSAGE(written.exit_code == 0, written.err);
    CHECK(read_file(unit) == printed.out);
    CHECK(contains(written.out, "wrote " + unit.string()));
    CHECK(contains(written.out, "systemctl enable --now corral-shop.service"));
    CHECK(contains(written.out, "journalctl -u corral-shop.service"));

    const auto again = run_corral(dir / "shop", {"startup"});
    CHECK(again.exit_code == 0);
    CHECK(contains(again.out, "up to date"));

    // Another file under the same unit name: refused, the unit stays as it was.
    const auto clash = run_corral(dir / "other", {"startup", "--name", "shop"});
    CHECK(clash.exit_code == 1);
    CHECK(contains(clash.err, unit.string() + " exists with other content"));
    CHECK(read_file(unit) == printed.out);
    const auto forced = run_corral(dir / "other", {"startup", "--name", "shop", "--force"});
    CHECK_MESSAGE(forced.exit_code == 0, forced.err);
    CHECK(contains(read_file(unit), "up " + (dir / "other" / "corral.toml").string()));

    const auto bad_name = run_corral(dir / "other", {"startup", "--name", "my shop"});
    CHECK(bad_name.exit_code == 2);
    CHECK(contains(bad_name.err, "--name: a unit name may hold only"));
}

// systemd's own parser reads the unit offline (no systemd needs to run): no unknown key, no bad value.
TEST_CASE("systemd-analyze verify accepts the written unit without a warning") {
    if (shell("command -v systemd-analyze").first != 0) {
        MESSAGE("skipped: systemd-analyze is not installed");
        return;
    }
    TempDir dir;
    dir.write("shop/corral.toml", kServices);
    ScopedEnv unit_dir("CORRAL_UNIT_DIR", (dir / "units").string());
    REQUIRE(run_corral(dir / "shop", {"startup"}).exit_code == 0);
    const auto [code, output] = shell("systemd-analyze verify '" + (dir / "units" / "corral-shop.service").string() + "'");
    CHECK_MESSAGE(code == 0, output);
    CHECK_MESSAGE(output.empty(), output);
}

TEST_CASE("corral startup --enable without systemd says so and what to run later, with the unit written") {
    TempDir dir;
    dir.write("shop/corral.toml", kServices);
    ScopedEnv unit_dir("CORRAL_UNIT_DIR", (dir / "units").string());
    // Whatever runs on the test's host, systemd is absent here; nothing is ever enabled by a test.
    ScopedEnv runtime("CORRAL_SYSTEMD_RUNTIME", (dir / "no-systemd").string());
    const auto result = run_corral(dir / "shop", {"startup", "--enable"});
    CHECK(result.exit_code == 1);
    CHECK(contains(result.err, "systemd is not running here"));
    CHECK(contains(result.err, "systemctl daemon-reload\n  systemctl enable --now corral-shop.service"));
    CHECK(fs::exists(dir / "units" / "corral-shop.service"));
}

TEST_CASE("corral startup refuses a service file with errors and writes nothing") {
    TempDir dir;
    dir.write("corral.toml", "[services.api]\ncommand = [\"node\"]\nrestrat = \"always\"\n");
    ScopedEnv unit_dir("CORRAL_UNIT_DIR", (dir / "units").string());
    const auto result = run_corral(dir.path(), {"startup"});
    CHECK(result.exit_code == 2);
    CHECK(contains(result.err, "corral.toml:3:1: unknown key \"restrat\""));
    CHECK(contains(result.err, "no unit was written"));
    CHECK_FALSE(fs::exists(dir / "units"));
}

TEST_CASE("corral startup as root for a file another user owns runs corral as that user") {
    if (::geteuid() != 0) {
        MESSAGE("skipped: needs root (the unit gets User= only when root writes it)");
        return;
    }
    TempDir dir;
    const fs::path file = dir.write("corral.toml", kServices);
    REQUIRE(::chown(file.c_str(), 65534, 65534) == 0);  // nobody
    const auto result = run_corral(dir.path(), {"startup", "--print"});
    CHECK(result.exit_code == 0);
    CHECK(contains(result.out, "\nUser=nobody\n"));
}
