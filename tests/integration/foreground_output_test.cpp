// A foreground `corral up` / `corral run` prints the programs' lines on its stdout, prefixed with the
// instance; --quiet does not; a reader that does not keep up costs lines (counted), never the daemon.
// (No run_corral while a PipedCorral runs: its clean-up kills every process it does not know as a daemon.)
#include <doctest/doctest.h>

#include <regex>

#include "tests/integration/piped_corral.hpp"
#include "tests/support/control_socket.hpp"
#include "tests/support/processes.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/text.hpp"

using namespace corral::test;

namespace {

std::string service_file(const std::string& extra = {}) {
    return subst(R"(
[services.talk]
command = ["node", "${fixture}"]
env = { LINES = "4" }
${extra}
)", {{"fixture", fixture("interleave.js")}, {"extra", extra}});
}

}  // namespace

TEST_CASE("foreground corral up prints every line with its instance - stderr marked - daemon log on stderr") {
    TempDir dir;
    dir.write("corral.toml", service_file());
    PipedCorral corral(dir.path(), {"up"});
    REQUIRE(wait_until([&] { return corral.out().find("talk#0 | done\n") != std::string::npos; }, 15s));
    CHECK(corral.stop(20s) == 0);
    // The programs' lines, in order, whole, uncolored (stdout is not a terminal); nothing else.
    CHECK(corral.out() == "talk#0 | line 0\ntalk#0 ! line 1\ntalk#0 | line 2\ntalk#0 ! line 3\ntalk#0 | done\n");
    // The daemon's own lines stay on stderr.
    CHECK(read_file(dir / "corral.stderr").find("supervising 1 service(s)") != std::string::npos);
}

TEST_CASE("foreground corral run --quiet prints no program line - the logs still get them") {
    TempDir dir;
    PipedCorral corral(dir.path(), {"run", "--quiet", "--name", "talk", "--", "node", fixture("interleave.js").string()});
    REQUIRE(wait_until([&] { return read_file(dir / ".corral/logs/talk-0.out.log").find("done") != std::string::npos; },
                       15s));
    CHECK(corral.stop(20s) == 0);
    CHECK(corral.out().empty());
    CHECK(read_file(dir / ".corral/logs/talk-0.err.log") == "line 1\nline 3\nline 5\n");  // LINES: 6 by default
}

TEST_CASE("a stdout nobody reads: lines are skipped and counted - the daemon answers and its memory stays bounded") {
    TempDir dir;
    dir.write("corral.toml", subst(R"(
[services.flood]
command = ["node", "${fixture}"]
env = { MODE = "flood", FLOOD_MS = "1500", RECORD_FILE = "${record}" }
)", {{"fixture", fixture("chatty.js")}, {"record", (dir / "record").string()}}));
    PipedCorral corral(dir.path(), {"up"}, /*paused=*/true);
    const auto log = dir / ".corral/logs/flood-0.out.log";
    REQUIRE(wait_until([&] { return std::filesystem::exists(log) && std::filesystem::file_size(log) > 0; }, 10s));
    const long rss_before = rss_kib(corral.pid());
    REQUIRE(wait_until([&] { return read_file(dir / "record").find("flooded") != std::string::npos; }, 20s));
    // The loop never waited for the pipe: it still answers its socket.
    SocketClient client(dir / ".corral/corral.sock");
    CHECK(client.request("status")["ok"] == true);
    const long peak = peak_rss_kib(corral.pid());
    MESSAGE("daemon RSS " << rss_before << " KiB -> peak " << peak << " KiB while nobody read its stdout");
    if (kMemoryIsMeasurable) CHECK(peak - rss_before < 4 * 1024);
    corral.resume_reading();
    CHECK(corral.stop(20s) == 0);
    const std::string out = corral.out();
    const std::regex marker(R"(\n\[\d+ lines skipped\]\n)");
    CHECK(std::regex_search(out, marker));
}
