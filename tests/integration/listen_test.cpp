// Listening sockets held by the daemon: bound before the first start, inherited by every instance with
// systemd's protocol, kept across restarts, bound and closed by reloads; a bind failure is a located error.
#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <set>
#include <sstream>

#include "base/unique_fd.hpp"
#include "tests/support/loopback.hpp"
#include "tests/support/processes.hpp"
#include "tests/support/records.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/text.hpp"

using namespace corral::test;
using corral::UniqueFd;

namespace {

// Writes what a program of any language sees of the protocol, one line per start, then stays up.
const char* kShowScript = R"(#!/bin/sh
fd3=$(readlink /proc/$$/fd/3); fd4=$(readlink /proc/$$/fd/4); fd5=$(readlink /proc/$$/fd/5)
echo "pid=$$ listen_pid=$LISTEN_PID fds=$LISTEN_FDS names=$LISTEN_FDNAMES channel=$NODE_CHANNEL_FD fd3=$fd3 fd4=$fd4 fd5=$fd5" >> "$RECORD"
exec sleep 60
)";

UniqueFd tcp_socket() { return UniqueFd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)); }

sockaddr_in loopback(std::uint16_t port) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return address;
}

// A connection is accepted by the kernel for a listening socket even when nobody calls accept().
bool connects(std::uint16_t port) {
    UniqueFd fd = tcp_socket();
    sockaddr_in address = loopback(port);
    return ::connect(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
}

std::vector<std::map<std::string, std::string>> starts(const std::filesystem::path& record) {
    std::vector<std::map<std::string, std::string>> result;
    std::ifstream in(record);
    for (std::string line; std::getline(in, line);) {
        std::map<std::string, std::string> fields;
        std::istringstream words(line);
        for (std::string word; words >> word;) {
            const auto eq = word.find('=');
            if (eq != std::string::npos) fields[word.substr(0, eq)] = word.substr(eq + 1);
        }
        result.push_back(std::move(fields));
    }
    return result;
}

// The sockets ("socket:[inode]") among a process's descriptors.
std::set<std::string> sockets_of(pid_t pid) {
    std::set<std::string> found;
    std::error_code error;
    for (const auto& entry : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd", error)) {
        std::error_code unreadable;
        const std::string target = std::filesystem::read_symlink(entry.path(), unreadable).string();
        if (target.starts_with("socket:")) found.insert(target);
    }
    return found;
}

std::string service_file(const TempDir& dir, const std::string& listen, const std::string& more = "") {
    return "[services.show]\ncommand = [\"" + (dir / "show.sh").string() + "\"]\nenv = { RECORD = \"" +
           (dir / "record").string() + "\" }\nlisten = " + listen + "\n" + more;
}

}  // namespace

TEST_CASE("every instance inherits the daemon's listening sockets by systemd's protocol, also after a restart") {
    TempDir dir;
    const std::filesystem::path script = dir.write("show.sh", kShowScript);
    std::filesystem::permissions(script, std::filesystem::perms::owner_all);
    const std::uint16_t port = free_loopback_port();
    const std::string listen = "[\"127.0.0.1:" + std::to_string(port) + "\", { address = \"unix:web.sock\", name = \"local\" }]";
    dir.write("corral.toml", service_file(dir, listen, "instances = 2\nsocket = { mode = \"0600\" }\n"));
    CorralProcess corral(dir.path(), {"up"});
    const auto record = dir / "record";
    REQUIRE(wait_until([&] { return starts(record).size() == 2; }, 10s));
    CHECK(connects(port));
    struct stat status {};
    REQUIRE(::stat((dir / "web.sock").c_str(), &status) == 0);
    CHECK(S_ISSOCK(status.st_mode));
    CHECK((status.st_mode & 07777) == 0600);

    const std::set<std::string> held = sockets_of(corral.pid());
    for (const auto& start : starts(record)) {
        CAPTURE(start.at("pid"));
        CHECK(start.at("listen_pid") == start.at("pid"));
        CHECK(start.at("fds") == "2");
        CHECK(start.at("names") == "show:local");
        CHECK(start.at("channel") == "5");
        CHECK(held.contains(start.at("fd3")));
        CHECK(held.contains(start.at("fd4")));
        CHECK(start.at("fd3") != start.at("fd4"));
        CHECK(start.at("fd5").starts_with("socket:"));  // the IPC channel
    }
    // A restart (from the standby) gets the same sockets.
    const std::string first_fd3 = starts(record).front().at("fd3");
    ::kill(std::stoi(starts(record).front().at("pid")), SIGKILL);
    REQUIRE(wait_until([&] { return starts(record).size() == 3; }, 10s));
    CHECK(starts(record).back().at("fd3") == first_fd3);
    CHECK(starts(record).back().at("listen_pid") == starts(record).back().at("pid"));
    CHECK(connects(port));

    CHECK(corral.stop() == 0);
    CHECK(!connects(port));
    CHECK(!std::filesystem::exists(dir / "web.sock"));
}

TEST_CASE("an address that cannot be bound is a located error at up, and nothing starts") {
    TempDir dir;
    const std::filesystem::path script = dir.write("show.sh", kShowScript);
    std::filesystem::permissions(script, std::filesystem::perms::owner_all);
    UniqueFd taken = tcp_socket();
    sockaddr_in address = loopback(0);
    REQUIRE(::bind(taken.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    REQUIRE(::listen(taken.get(), 1) == 0);
    socklen_t length = sizeof address;
    REQUIRE(::getsockname(taken.get(), reinterpret_cast<sockaddr*>(&address), &length) == 0);
    const std::string port = std::to_string(ntohs(address.sin_port));
    dir.write("corral.toml", service_file(dir, "[\"127.0.0.1:" + port + "\"]"));

    const CommandResult result = run_corral(dir.path(), {"up"});
    CHECK(result.exit_code == 1);
    CHECK(result.err.find((dir / "corral.toml").string() + ":4:11: service show: cannot bind 127.0.0.1:" + port +
                          ": Address already in use") != std::string::npos);
    CHECK(!std::filesystem::exists(dir / "record"));
}

TEST_CASE("a reload binds an added address and closes a removed one, restarting the service's instances") {
    TempDir dir;
    const std::filesystem::path script = dir.write("show.sh", kShowScript);
    std::filesystem::permissions(script, std::filesystem::perms::owner_all);
    const std::uint16_t first = free_loopback_port();
    const std::uint16_t second = free_loopback_port();
    const auto address = [](std::uint16_t port) { return "\"127.0.0.1:" + std::to_string(port) + "\""; };
    dir.write("corral.toml", service_file(dir, "[" + address(first) + "]"));
    CorralProcess corral(dir.path(), {"up"});
    const auto record = dir / "record";
    REQUIRE(wait_until([&] { return starts(record).size() == 1; }, 10s));
    CHECK(connects(first));
    CHECK(!connects(second));

    dir.write("corral.toml", service_file(dir, "[" + address(first) + ", " + address(second) + "]"));
    corral.signal(SIGHUP);
    REQUIRE(wait_until([&] { return starts(record).size() == 2; }, 10s));
    CHECK(starts(record).back().at("fds") == "2");
    CHECK(connects(first));
    CHECK(connects(second));
    CHECK(starts(record).back().at("fd3") == starts(record).front().at("fd3"));  // the same socket, kept

    dir.write("corral.toml", service_file(dir, "[" + address(second) + "]"));
    corral.signal(SIGHUP);
    REQUIRE(wait_until([&] { return starts(record).size() == 3; }, 10s));
    CHECK(starts(record).back().at("fds") == "1");
    CHECK(wait_until([&] { return !connects(first); }, 5s));
    CHECK(connects(second));

    // An address another process holds: the reload is refused with its place, and nothing changes.
    UniqueFd taken = tcp_socket();
    const std::uint16_t third = free_loopback_port();
    sockaddr_in bound = loopback(third);
    REQUIRE(::bind(taken.get(), reinterpret_cast<sockaddr*>(&bound), sizeof bound) == 0);
    REQUIRE(::listen(taken.get(), 1) == 0);
    dir.write("corral.toml", service_file(dir, "[" + address(second) + ", " + address(third) + "]"));
    corral.signal(SIGHUP);
    const auto log = dir / ".corral/corral.log";
    REQUIRE(wait_until([&] { return !lines_containing(log, "reload refused: ").empty(); }, 5s));
    CHECK(!lines_containing(log, "corral.toml:4:").empty());
    CHECK(starts(record).size() == 3);
    CHECK(connects(second));
    CHECK(corral.stop() == 0);
}
