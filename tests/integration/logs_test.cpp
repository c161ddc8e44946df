// Log capture: files per stream, joined partial lines, rotation, timestamps, bounded daemon memory.
#include <doctest/doctest.h>

#include <regex>
#include <sstream>

#include "tests/support/processes.hpp"
#include "tests/support/records.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/text.hpp"

using namespace corral::test;
namespace fs = std::filesystem;

TEST_CASE("stdout and stderr go to separate files - a line written in pieces is one line") {
    TempDir dir;
    dir.write("corral.toml", subst(R"(
[services.talk]
command = ["node", "${fixture}"]
restart = "never"
env = { MODE = "partial" }
)", {{"fixture", fixture("chatty.js")}}));
    CorralProcess corral(dir.path(), {"up"});
    const auto out = dir / ".corral/logs/talk-0.out.log";
    REQUIRE(wait_until([&] { return read_file(out).find("tail") != std::string::npos; }, 10s));
    CHECK(read_file(out) == "hello world\ntail without newline\n");
    CHECK(read_file(dir / ".corral/logs/talk-0.err.log").empty());
    CHECK(corral.stop() == 0);
}

TEST_CASE("logs rotate at max_size and keep `keep` files - losing no line in between") {
    TempDir dir;
    dir.write("corral.toml", subst(R"(
[services.talk]
command = ["node", "${fixture}"]
env = { MODE = "lines", LINES = "2000", LINE_BYTES = "100" }
logs = { max_size = "16KiB", keep = 3 }
)", {{"fixture", fixture("chatty.js")}}));
    CorralProcess corral(dir.path(), {"up"});
    const auto logs = dir / ".corral/logs";
    REQUIRE(wait_until([&] { return read_file(logs / "talk-0.err.log") == "done\n"; }, 10s));
    CHECK(corral.stop() == 0);

    std::string all;
    for (const char* name : {"talk-0.out.log.3", "talk-0.out.log.2", "talk-0.out.log.1", "talk-0.out.log"}) {
        CAPTURE(name);
        REQUIRE(fs::exists(logs / name));
        CHECK(fs::file_size(logs / name) <= 16 * 1024);
        all += read_file(logs / name);
    }
    CHECK_FALSE(fs::exists(logs / "talk-0.out.log.4"));
    // The kept files hold the last lines, consecutive, ending with the last one.
    std::istringstream lines(all);
    std::string line;
    int previous = -1;
    int count = 0;
    while (std::getline(lines, line)) {
        REQUIRE(line.size() == 99);
        const int number = std::stoi(line);
        if (previous >= 0) CHECK(number == previous + 1);
        previous = number;
        ++count;
    }
    CHECK(previous == 1999);
    CHECK(count >= 3 * 16 * 1024 / 100);
}

TEST_CASE("logs.timestamps prefixes every line with its UTC time") {
    TempDir dir;
    dir.write("corral.toml", subst(R"(
[services.talk]
command = ["node", "${fixture}"]
env = { MODE = "lines", LINES = "3", LINE_BYTES = "10" }
logs = { timestamps = true }
)", {{"fixture", fixture("chatty.js")}}));
    CorralProcess corral(dir.path(), {"up"});
    const auto logs = dir / ".corral/logs";
    REQUIRE(wait_until([&] { return read_file(logs / "talk-0.err.log").find("done") != std::string::npos; }, 10s));
    CHECK(corral.stop() == 0);
    const std::regex stamped(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z 0 xxxxxxx\n)"
                             R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z 1 xxxxxxx\n)"
                             R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z 2 xxxxxxx\n)");
    CHECK(std::regex_match(read_file(logs / "talk-0.out.log"), stamped));
}

TEST_CASE("a child flooding stdout does not grow the daemon's memory") {
    TempDir dir;
    dir.write("corral.toml", subst(R"(
[services.flood]
command = ["node", "${fixture}"]
env = { MODE = "flood", FLOOD_MS = "3000", RECORD_FILE = "${record}" }
logs = { max_size = "32MiB", keep = 1 }
)", {{"fixture", fixture("chatty.js")}, {"record", dir / "record"}}));
    CorralProcess corral(dir.path(), {"up"});
    const auto out = dir / ".corral/logs/flood-0.out.log";
    REQUIRE(wait_until([&] { return fs::exists(out) && fs::file_size(out) > 0; }, 10s));
    const long rss_before = rss_kib(corral.pid());
    REQUIRE(wait_until([&] { return read_file(dir / "record").find("flooded") != std::string::npos; }, 20s));
    const long peak = peak_rss_kib(corral.pid());
    std::istringstream record(read_file(dir / "record"));
    std::string word;
    long long bytes = 0;
    record >> word >> bytes;
    MESSAGE("flooded " << bytes / (1 << 20) << " MiB in 3 s; daemon RSS " << rss_before << " KiB -> peak " << peak
                       << " KiB");
    CHECK(bytes > 64ll << 20);  // it really flooded
    if (kMemoryIsMeasurable) CHECK(peak - rss_before < 4 * 1024);
    CHECK(corral.stop() == 0);
}
