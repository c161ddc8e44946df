// Rolling restarts: a reload that changes what a service runs replaces its instances one by one, each
// replacement started beside the instance it replaces and taking its place once ready, on the socket corral
// holds, so that no request fails; a replacement that never becomes ready stops the rollout.
#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <set>
#include <thread>

#include "base/unique_fd.hpp"
#include "tests/support/loopback.hpp"
#include "tests/support/processes.hpp"
#include "tests/support/records.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/text.hpp"

using namespace corral::test;
using corral::UniqueFd;

namespace {

const char* kWeb = R"(
[services.web]
command = ["node", "${fixture}"]
env = { RECORD_FILE = "${record}", VERSION = "${version}", READY = "${ready}" }
instances = 2
listen = ["127.0.0.1:${port}"]
listen_adopt = false
ready = "message"
ready_timeout = "2s"
)";

UniqueFd connect_to(std::uint16_t port);

// One HTTP/1.0 request on a new connection; the body ("<VERSION> <pid>"), or "" when it failed.
std::string get(std::uint16_t port) {
    UniqueFd fd = connect_to(port);
    if (!fd) return "";
    const std::string request = "GET / HTTP/1.0\r\nHost: x\r\n\r\n";
    if (::write(fd.get(), request.data(), request.size()) != static_cast<ssize_t>(request.size())) return "";
    std::string answer;
    char buffer[4096];
    for (ssize_t n; (n = ::read(fd.get(), buffer, sizeof buffer)) > 0;) answer.append(buffer, static_cast<std::size_t>(n));
    if (!answer.starts_with("HTTP/1.1 200")) return "";
    const auto body = answer.find("\r\n\r\n");
    return body == std::string::npos ? "" : answer.substr(body + 4);
}

UniqueFd connect_to(std::uint16_t port) {
    UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    timeval timeout{5, 0};
    ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) fd.reset();
    return fd;
}

// One HTTP/1.1 request on a kept-alive connection (made when `fd` has none); the body, or "" when it
// failed. A response with "Connection: close" ends the connection after it, as a client would.
std::string get_kept_alive(UniqueFd& fd, std::uint16_t port) {
    if (!fd) fd = connect_to(port);
    const std::string request = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    if (!fd || ::write(fd.get(), request.data(), request.size()) != static_cast<ssize_t>(request.size())) {
        fd.reset();
        return "";
    }
    std::string answer;
    char buffer[4096];
    std::size_t end = std::string::npos;
    std::size_t length = 0;
    while (end == std::string::npos || answer.size() < end + 4 + length) {
        const ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
        if (n <= 0) {
            fd.reset();
            return "";
        }
        answer.append(buffer, static_cast<std::size_t>(n));
        if (end == std::string::npos && (end = answer.find("\r\n\r\n")) != std::string::npos) {
            const auto at = answer.find("Content-Length: ");
            if (at == std::string::npos || at > end) {
                fd.reset();
                return "";
            }
            length = std::stoul(answer.substr(at + 16));
        }
    }
    if (answer.find("Connection: close") < end) fd.reset();
    return answer.starts_with("HTTP/1.1 200") ? answer.substr(end + 4, length) : "";
}

// Requests back to back until stopped, on new connections and (`kept_alive`) on one kept alive, each on a
// thread of its own; counts what failed.
struct Load {
    Load(std::uint16_t port, bool kept_alive)
        : fresh([this, port] { run([port] { return get(port); }); }),
          kept([this, port, kept_alive] {
              UniqueFd connection;
              if (kept_alive) run([&connection, port] { return get_kept_alive(connection, port); });
          }) {}
    ~Load() {
        stop = true;
        fresh.join();
        kept.join();
    }
    template <typename Get>
    void run(Get get_one) {
        while (!stop) {
            const std::string body = get_one();
            ++sent;
            if (body.empty()) ++failed;
            if (body.starts_with("2 ")) ++new_version;
        }
    }
    std::atomic<bool> stop{false};
    std::atomic<unsigned> sent{0};
    std::atomic<unsigned> failed{0};
    std::atomic<unsigned> new_version{0};
    std::thread fresh;
    std::thread kept;
};

std::map<std::string, std::string> values(const TempDir& dir, std::uint16_t port, const std::string& version,
                                          const std::string& ready = "yes") {
    return {{"fixture", fixture("web_fd.js")}, {"record", dir / "record"}, {"version", version},
            {"ready", ready}, {"port", std::to_string(port)}};
}

}  // namespace

TEST_CASE("a reload that changes env rolls the instances one by one on the held socket, with no request failing") {
    TempDir dir;
    const std::uint16_t port = free_loopback_port();
    dir.write("corral.toml", subst(kWeb, values(dir, port, "1")));
    CorralProcess corral(dir.path(), {"up"});
    const auto record = dir / "record";
    REQUIRE(wait_until([&] { return read_records(record).size() == 2; }, 10s));
    const auto first = read_records(record);
    // New connections only: this app stops with http's server.close(), which closes idle kept-alive
    // connections at once, racing their clients (the agent's drain, in the test below, does not).
    Load load(port, false);
    REQUIRE(wait_until([&] { return load.sent > 20; }, 5s));

    dir.write("corral.toml", subst(kWeb, values(dir, port, "2")));
    corral.signal(SIGHUP);
    const auto log = dir / ".corral/corral.log";
    REQUIRE(wait_until([&] { return !lines_containing(log, "web: rollout complete: 2 instance(s) replaced").empty(); }, 20s));
    REQUIRE(wait_until([&] { return load.new_version > 20; }, 5s));
    const unsigned sent = load.sent;
    CHECK(load.failed == 0);
    CHECK(sent > 50);
    const auto after = read_records(record);
    CHECK(after.size() == 4);
    CHECK(wait_until([&] { return !process_alive(first[0].pid) && !process_alive(first[1].pid); }, 5s));
    for (std::size_t i = 2; i < after.size(); ++i) CHECK(process_alive(after[i].pid));
    // One at a time: web#0's replacement was ready before web#1's started.
    const auto ready0 = lines_containing(log, "web: rolling: web#0");
    const auto start1 = lines_containing(log, "web: rolling: starting the replacement of web#1");
    REQUIRE(!ready0.empty());
    REQUIRE(!start1.empty());
    CHECK(lines_containing(log, "rolling: starting the replacement of web#0").size() == 1);
    CHECK(corral.stop() == 0);
}

TEST_CASE("a replacement that never becomes ready stops the rollout and the old instances keep serving") {
    TempDir dir;
    const std::uint16_t port = free_loopback_port();
    dir.write("corral.toml", subst(kWeb, values(dir, port, "1")));
    CorralProcess corral(dir.path(), {"up"});
    const auto record = dir / "record";
    REQUIRE(wait_until([&] { return read_records(record).size() == 2; }, 10s));
    const auto first = read_records(record);

    dir.write("corral.toml", subst(kWeb, values(dir, port, "2", "never")));
    corral.signal(SIGHUP);
    const auto log = dir / ".corral/corral.log";
    REQUIRE(wait_until([&] { return !lines_containing(log, "web: rollout stopped").empty(); }, 20s));
    CHECK(!lines_containing(log, "not ready within 2.0s").empty());
    CHECK(lines_containing(log, "starting the replacement of web#1").empty());
    CHECK(process_alive(first[0].pid));
    CHECK(process_alive(first[1].pid));
    for (int i = 0; i < 20; ++i) CHECK(get(port).starts_with("1 "));
    CHECK(corral.stop() == 0);
}

TEST_CASE("4 instances of an unmodified server.listen(PORT) app share one port, and roll with no request failing on new or kept-alive connections") {
    TempDir dir;
    const std::uint16_t port = free_loopback_port();
    const char* plain = R"(
[services.web]
command = ["node", "${fixture}"]
env = { RECORD_FILE = "${record}", VERSION = "${version}", PORT = "${port}" }
instances = 4
listen = ["127.0.0.1:${port}"]
ready = "listening"
)";
    auto with = [&](const std::string& version) {
        auto v = values(dir, port, version);
        v["fixture"] = fixture("web_plain.js");
        return subst(plain, v);
    };
    dir.write("corral.toml", with("1"));
    CorralProcess corral(dir.path(), {"up"});
    const auto record = dir / "record";
    REQUIRE(wait_until([&] { return read_records(record).size() == 4; }, 15s));
    const auto log = dir / ".corral/corral.log";
    CHECK(wait_until([&] { return lines_containing(log, "-> running: ready: accepting on 127.0.0.1:" + std::to_string(port)).size() == 4; }, 5s));
    std::set<std::string> answered;
    for (int i = 0; i < 40; ++i) answered.insert(get(port));
    CHECK(!answered.contains(""));

    Load load(port, true);
    REQUIRE(wait_until([&] { return load.sent > 20; }, 5s));
    dir.write("corral.toml", with("2"));
    corral.signal(SIGHUP);
    REQUIRE(wait_until([&] { return !lines_containing(log, "web: rollout complete: 4 instance(s) replaced").empty(); }, 30s));
    REQUIRE(wait_until([&] { return load.new_version > 20; }, 5s));
    CHECK(load.failed == 0);
    CHECK(wait_until([&] { return read_records(record).size() == 8; }, 5s));
    CHECK(corral.stop() == 0);
}

TEST_CASE("corral reload SERVICE rolls it without a file change and waits until every instance is replaced") {
    TempDir dir;
    const std::uint16_t port = free_loopback_port();
    dir.write("corral.toml", subst(kWeb, values(dir, port, "1")));
    CorralProcess corral(dir.path(), {"up"});
    const auto record = dir / "record";
    REQUIRE(wait_until([&] { return read_records(record).size() == 2; }, 10s));
    const auto first = read_records(record);
    Load load(port, false);
    REQUIRE(wait_until([&] { return load.sent > 20; }, 5s));

    // A client of the running daemon: corral reload web (run_corral would stop the daemon's cgroups).
    const pid_t cli = ::fork();
    if (cli == 0) {
        ::execl(corral_binary().c_str(), "corral", "reload", "web", "--socket", (dir / ".corral/corral.sock").c_str(),
                static_cast<char*>(nullptr));
        ::_exit(127);
    }
    int status = 0;
    REQUIRE(wait_until([&] { return ::waitpid(cli, &status, WNOHANG) == cli; }, 20s));
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
    // It returned once the rollout was done: both instances replaced, the old ones gone.
    CHECK(read_records(record).size() == 4);
    CHECK(!process_alive(first[0].pid));
    CHECK(!process_alive(first[1].pid));
    const auto log = dir / ".corral/corral.log";
    CHECK(lines_containing(log, "web: rolling its instances (reload web)").size() == 1);
    CHECK(lines_containing(log, "web: rollout complete: 2 instance(s) replaced").size() == 1);
    CHECK(load.failed == 0);
    CHECK(corral.stop() == 0);
}
