// The client commands (status, restart, logs, events, reload, shutdown, ...) run as the built binary
// against a fake daemon: a thread of the test listening on <dir>/.corral/corral.sock and answering each
// request with canned lines, so that every reply, stream and failure can be staged exactly.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <ctime>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "base/unique_fd.hpp"
#include "tests/support/doctest_strings.hpp"
#include "tests/support/processes.hpp"
#include "tests/support/temp_dir.hpp"

using namespace corral::test;
using corral::UniqueFd;
using Json = nlohmann::ordered_json;
namespace fs = std::filesystem;

namespace {

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

UniqueFd listening_socket(const fs::path& path) {
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path.c_str(), sizeof address.sun_path - 1);
    if (!fd || ::bind(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0 ||
        ::listen(fd.get(), 8) != 0) {
        throw std::runtime_error("cannot listen on " + path.string() + ": " + std::strerror(errno));
    }
    return fd;
}

std::string reply_ok(const Json& request, const Json& result) {
    return Json{{"id", request["id"]}, {"ok", true}, {"result", result}}.dump();
}
std::string reply_error(const Json& request, const std::string& code, const std::string& message,
                        const Json& details = nullptr) {
    return Json{{"id", request["id"]}, {"ok", false}, {"error", {{"code", code}, {"message", message}, {"details", details}}}}
        .dump();
}
std::string event_line(const Json& request, const Json& event) {
    return Json{{"id", request["id"]}, {"event", event}}.dump();
}

// What the fake daemon does with one request: the lines to send back, then whether to close the
// connection, and whether to stop listening too (and remove the socket) as a daemon that exits.
struct Answer {
    std::vector<std::string> lines;
    bool close = false;
    bool exit = false;
};

class FakeDaemon {
public:
    using Handler = std::function<Answer(const Json& request)>;

    FakeDaemon(const TempDir& dir, Handler handler)
        : socket_(dir.make_dir(".corral") / "corral.sock"), handler_(std::move(handler)) {
        listener_ = listening_socket(socket_);
        if (::pipe2(stop_, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
        thread_ = std::thread([this] { serve(); });
    }
    ~FakeDaemon() {
        [[maybe_unused]] const auto n = ::write(stop_[1], "x", 1);
        thread_.join();
        ::close(stop_[0]);
        ::close(stop_[1]);
    }

    // The requests received, in order; as nlohmann::json, whose == ignores the order of keys.
    std::vector<nlohmann::json> requests() const {
        std::lock_guard lock(mutex_);
        std::vector<nlohmann::json> list;
        for (const auto& request : requests_) list.push_back(nlohmann::json::parse(request.dump()));
        return list;
    }

private:
    // Waits for `fd` or the stop pipe; false when stopping.
    bool wait_for(int fd) const {
        pollfd fds[2] = {{fd, POLLIN, 0}, {stop_[0], POLLIN, 0}};
        while (::poll(fds, 2, -1) < 0) {
        }
        return (fds[1].revents & POLLIN) == 0;
    }

    void serve() {
        while (listener_ && wait_for(listener_.get())) {
            UniqueFd connection(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
            if (!connection) continue;
            std::string buffer;
            bool open = true;
            while (open && wait_for(connection.get())) {
                char chunk[4096];
                const ssize_t got = ::read(connection.get(), chunk, sizeof chunk);
                if (got <= 0) break;
                buffer.append(chunk, static_cast<std::size_t>(got));
                for (auto newline = buffer.find('\n'); open && newline != std::string::npos; newline = buffer.find('\n')) {
                    const Json request = Json::parse(buffer.substr(0, newline));
                    buffer.erase(0, newline + 1);
                    {
                        std::lock_guard lock(mutex_);
                        requests_.push_back(request);
                    }
                    const Answer answer = handler_(request);
                    for (const auto& line : answer.lines) send(connection.get(), line + "\n");
                    if (answer.exit) {
                        listener_.reset();
                        fs::remove(socket_);
                    }
                    open = !answer.close;
                }
            }
        }
        while (wait_for(stop_[0])) {  // exited: wait for the test to finish with it
        }
    }

    static void send(int fd, const std::string& text) {
        ::send(fd, text.data(), text.size(), MSG_NOSIGNAL);
    }

    fs::path socket_;
    Handler handler_;
    UniqueFd listener_;
    int stop_[2] = {-1, -1};
    std::thread thread_;
    mutable std::mutex mutex_;
    std::vector<Json> requests_;
};

std::string iso_utc_ago(std::chrono::seconds ago) {
    const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now() - ago);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S.000Z", &tm);
    return text;
}

Json sample_status() {
    return Json::parse(R"({
      "daemon": {"pid": 4242, "version": "0.1.0", "uptime_ms": 7830000, "config": "/srv/app/corral.toml",
                 "state_dir": "/srv/app/.corral", "cgroups": "cgroup v2 at /sys/fs/cgroup/corral-1a2b"},
      "instances": [
        {"service": "api", "index": 0, "state": "running", "pid": 48213, "restarts": 3, "uptime_ms": 647000,
         "cgroup": "corral-1a2b/api/0",
         "memory": {"current": 126353408, "peak": 130000000, "max": 536870912, "anon": 1, "file": 2, "dirty": 0,
                    "writeback": 0, "refault_anon": 0, "refault_file": 0, "oom_kills": 1, "limit_hits": 0},
         "last_exit": {"reason": "oom-kill", "code": null, "signal": "SIGKILL", "at": ")" +
                      iso_utc_ago(std::chrono::minutes(11)) + R"(",
                       "postmortem": "api-0/20261125T130913.000Z-oom-kill"},
         "exits": {"oom-kill": 3}, "cooling": null},
        {"service": "api", "index": 1, "state": "failed", "pid": null, "restarts": 5, "uptime_ms": null,
         "cgroup": null, "memory": null, "last_exit": null, "exits": {}, "cooling": null}
      ]})");
}

// A fake daemon that knows `status` (the sample) and answers anything else with `other`.
FakeDaemon::Handler status_and(std::function<Answer(const Json&)> other) {
    return [other = std::move(other)](const Json& request) -> Answer {
        if (request["cmd"] == "status") return {{reply_ok(request, sample_status())}};
        return other(request);
    };
}

}  // namespace

TEST_CASE("corral status prints the daemon's instances as a table") {
    TempDir dir;
    FakeDaemon daemon(dir, status_and([](const Json& r) -> Answer { return {{reply_error(r, "unknown_command", "?")}}; }));
    const auto result = run_corral(dir.path(), {"status"});
    CHECK(result.exit_code == 0);
    CHECK(result.err == "");
    CHECK(lines_of(result.out) ==
          std::vector<std::string>{
              "corral 0.1.0, pid 4242, up 2h10m, config /srv/app/corral.toml",
              "",
              "INSTANCE  PID    STATE    UPTIME  RESTARTS  MEMORY                        LAST EXIT",
              "api#0     48213  running  10m47s  3         120.5MiB/512.0MiB ▕█▉      ▏  oom-kill, 11m ago [1]",
              "api#1     -      failed   -       5         -                             -",
              "",
              "[1] corral postmortem --show api-0/20261125T130913.000Z-oom-kill",
          });
    const auto requests = daemon.requests();
    REQUIRE(requests.size() == 1);
    CHECK(requests[0]["v"] == 1);
    CHECK(requests[0]["cmd"] == "status");
    CHECK(requests[0]["args"] == nlohmann::json::object());
}

TEST_CASE("corral status --json prints the daemon's result as it came") {
    TempDir dir;
    FakeDaemon daemon(dir, status_and([](const Json& r) -> Answer { return {{reply_error(r, "unknown_command", "?")}}; }));
    const auto result = run_corral(dir.path(), {"status", "--json"});
    CHECK(result.exit_code == 0);
    const Json printed = Json::parse(result.out);
    CHECK(printed["daemon"] == sample_status()["daemon"]);
    CHECK(printed["instances"].size() == 2);
    CHECK(result.out == printed.dump(2) + "\n");
    CHECK(result.out.find("\"daemon\"") < result.out.find("\"instances\""));  // the daemon's order, kept
}

TEST_CASE("client commands exit 3 when no daemon is running") {
    TempDir dir;
    const std::string message =
        "corral: no daemon is running at ./.corral/corral.sock (start one with: corral up -d)\n";
    SUBCASE("no socket file") {
        const auto result = run_corral(dir.path(), {"status"});
        CHECK(result.exit_code == 3);
        CHECK(result.out == "");
        CHECK(result.err == message);
    }
    SUBCASE("a socket file that nobody listens on") {
        listening_socket(dir.make_dir(".corral") / "corral.sock");  // closed at once, the file stays
        REQUIRE(fs::exists(dir / ".corral/corral.sock"));
        const auto result = run_corral(dir.path(), {"restart", "api"});
        CHECK(result.exit_code == 3);
        CHECK(result.err == message);
        const auto json = run_corral(dir.path(), {"logs", "api", "--json"});
        CHECK(json.exit_code == 3);
        CHECK(Json::parse(json.out) ==
              Json{{"error", {{"code", "no_daemon"}, {"message", "no daemon is running at ./.corral/corral.sock"}}}});
    }
    SUBCASE("--socket and CORRAL_SOCKET name other places") {
        const auto flag = run_corral(dir.path(), {"events", "--socket", (dir / "x.sock").string()});
        CHECK(flag.exit_code == 3);
        CHECK(contains(flag.err, "no daemon is running at ./x.sock"));
    }
}

TEST_CASE("client commands exit 1 on an error reply and 2 on usage errors") {
    TempDir dir;
    FakeDaemon daemon(dir, status_and([](const Json& r) -> Answer {
        if (r["cmd"] == "reload") {
            return {{reply_error(r, "invalid_config", "2 error(s) in corral.toml; nothing changed",
                                 {"corral.toml:3:1: unknown key \"restrat\" in [services.api]",
                                  "corral.toml:4:13: invalid value for services.api.instances"})}};
        }
        return {{reply_error(r, "not_found", "no service or instance \"apx\"")}};
    }));
    const auto restart = run_corral(dir.path(), {"restart", "apx"});
    CHECK(restart.exit_code == 1);
    CHECK(restart.out == "");
    CHECK(restart.err == "corral restart: no service or instance \"apx\"\n");

    const auto json = run_corral(dir.path(), {"stop", "apx", "--json"});
    CHECK(json.exit_code == 1);
    CHECK(Json::parse(json.out)["error"]["code"] == "not_found");

    const auto reload = run_corral(dir.path(), {"reload"});
    CHECK(reload.exit_code == 1);
    CHECK(lines_of(reload.err) == std::vector<std::string>{
                                      "corral.toml:3:1: unknown key \"restrat\" in [services.api]",
                                      "corral.toml:4:13: invalid value for services.api.instances",
                                      "corral reload: 2 error(s) in corral.toml; nothing changed",
                                  });

    CHECK(run_corral(dir.path(), {"restart", "api#x"}).exit_code == 2);
    CHECK(run_corral(dir.path(), {"signal", "api", "SIGNOPE"}).exit_code == 2);
    CHECK(run_corral(dir.path(), {"logs", "api", "-n", "10001"}).exit_code == 2);
    CHECK(run_corral(dir.path(), {"logs", "api", "--out", "--err"}).exit_code == 2);
    const auto missing = run_corral(dir.path(), {"status", "-c", "missing.toml"});
    CHECK(missing.exit_code == 2);
    CHECK(contains(missing.err, "missing.toml: cannot read the service file: No such file or directory"));
    CHECK(run_corral(dir.path(), {"status", "--all", "-C", "."}).exit_code == 2);
    CHECK(daemon.requests().size() == 3);  // none of the usage errors reached the daemon
}

TEST_CASE("corral restart start stop and signal --no-wait say what they asked for") {
    TempDir dir;
    FakeDaemon daemon(dir, [](const Json& r) -> Answer {
        return {{reply_ok(r, {{"instances", r["args"]["target"] == "api#1" ? Json{"api#1"} : Json{"api#0", "api#1"}}})}};
    });
    const auto restart = run_corral(dir.path(), {"restart", "api", "--no-wait"});
    CHECK(restart.exit_code == 0);
    CHECK(restart.out == "restarting api#0, api#1\n");
    CHECK(run_corral(dir.path(), {"start", "api#1", "--no-wait"}).out == "starting api#1\n");
    CHECK(run_corral(dir.path(), {"stop", "all", "--no-wait"}).out == "stopping api#0, api#1\n");
    CHECK(run_corral(dir.path(), {"signal", "api", "USR2", "--no-wait"}).out == "sent SIGUSR2 to api#0, api#1\n");
    CHECK(run_corral(dir.path(), {"signal", "api#1", "10", "--no-wait"}).out == "sent SIGUSR1 to api#1\n");
    const auto json = run_corral(dir.path(), {"restart", "api", "--json", "--no-wait"});
    CHECK(json.out == "{\n  \"instances\": [\n    \"api#0\",\n    \"api#1\"\n  ]\n}\n");

    const auto requests = daemon.requests();
    REQUIRE(requests.size() == 6);
    CHECK(requests[0]["cmd"] == "restart");
    CHECK(requests[0]["args"] == nlohmann::json{{"target", "api"}});
    CHECK(requests[3]["args"] == nlohmann::json{{"target", "api"}, {"signal", "USR2"}});
    CHECK(requests[4]["args"] == nlohmann::json{{"target", "api#1"}, {"signal", 10}});
}

TEST_CASE("corral logs -f prints the lines then the stream and exits at its end") {
    TempDir dir;
    FakeDaemon daemon(dir, status_and([](const Json& r) -> Answer {
        const Json lines = Json::array({{{"instance", "api#0"}, {"stream", "out"}, {"line", "listening on 3000"}},
                                        {{"instance", "api#1"}, {"stream", "err"}, {"line", "warning: slow"}}});
        return {{reply_ok(r, {{"lines", lines}}),
                 event_line(r, {{"instance", "api#1"}, {"stream", "out"}, {"line", "GET / 200"}}),
                 event_line(r, {{"instance", "api#0"}, {"stream", "err"}, {"line", "Error: boom"}})},
                true};
    }));
    const auto result = run_corral(dir.path(), {"logs", "api", "-f", "-n", "5"});
    CHECK(result.exit_code == 0);
    CHECK(result.err == "");
    CHECK(lines_of(result.out) == std::vector<std::string>{
                                      "api#0 | listening on 3000",
                                      "api#1 ! warning: slow",
                                      "api#1 | GET / 200",
                                      "api#0 ! Error: boom",
                                  });
    const auto requests = daemon.requests();
    REQUIRE(requests.size() == 2);  // status (how many instances), then logs
    CHECK(requests[1]["cmd"] == "logs");
    CHECK(requests[1]["args"] == nlohmann::json{{"target", "api"}, {"lines", 5}, {"stream", "both"}, {"follow", true}});

    // One instance: no prefixes. --json: one line object per line.
    const auto one = run_corral(dir.path(), {"logs", "api#0", "--err", "-f"});
    CHECK(one.exit_code == 0);
    CHECK(lines_of(one.out).size() == 4);
    CHECK(lines_of(one.out)[0] == "listening on 3000");
    CHECK(daemon.requests().back()["args"]["stream"] == "err");
    const auto json = run_corral(dir.path(), {"logs", "api", "-f", "--json"});
    REQUIRE(lines_of(json.out).size() == 4);
    CHECK(Json::parse(lines_of(json.out)[3]) == Json{{"instance", "api#0"}, {"stream", "err"}, {"line", "Error: boom"}});
}

TEST_CASE("corral logs -f reports a stream dropped for a slow client") {
    TempDir dir;
    FakeDaemon daemon(dir, [](const Json& r) -> Answer {
        if (r["cmd"] == "status") return {{reply_error(r, "failed", "no status today")}};
        return {{reply_ok(r, {{"lines", Json::array()}}),
                 event_line(r, {{"instance", "api#0"}, {"stream", "out"}, {"line", "one"}}),
                 reply_error(r, "slow_client", "the client did not keep up")},
                true};
    });
    const auto result = run_corral(dir.path(), {"logs", "api", "-f"});
    CHECK(result.exit_code == 1);
    CHECK(result.out == "api#0 | one\n");  // without the instance count, names are shown
    CHECK(contains(result.err, "corral logs: the daemon cut this follower: it read too slowly"));
}

TEST_CASE("corral events prints one line per state change") {
    TempDir dir;
    FakeDaemon daemon(dir, [](const Json& r) -> Answer {
        return {{reply_ok(r, {{"stream", true}}),
                 event_line(r, {{"time", "2026-11-25T12:01:02.000Z"}, {"instance", "api#0"}, {"from", "running"},
                                {"to", "backoff"}, {"reason", "exited with code 1 after 2.6s"}})},
                true};
    });
    const auto result = run_corral(dir.path(), {"events"});
    CHECK(result.exit_code == 0);
    REQUIRE(lines_of(result.out).size() == 1);
    // The time is local: only its shape is fixed.
    const std::string line = lines_of(result.out)[0];
    CHECK(line.size() > 9);
    CHECK(line.substr(2, 1) == ":");
    CHECK(line.substr(8) == " api#0 running -> backoff: exited with code 1 after 2.6s");
    const auto json = run_corral(dir.path(), {"events", "--json"});
    CHECK(Json::parse(json.out)["to"] == "backoff");
}

TEST_CASE("corral shutdown waits until the daemon is gone") {
    TempDir dir;
    FakeDaemon daemon(dir, [](const Json& r) -> Answer {
        if (r["cmd"] == "shutdown") return {{reply_ok(r, Json::object())}, true, true};
        return {{reply_error(r, "unknown_command", "?")}};
    });
    const auto result = run_corral(dir.path(), {"shutdown"});
    CHECK(result.exit_code == 0);
    CHECK(result.out == "corral stopped\n");
    CHECK_FALSE(fs::exists(dir / ".corral/corral.sock"));
    CHECK(run_corral(dir.path(), {"status"}).exit_code == 3);
}

TEST_CASE("corral reload prints the changes") {
    TempDir dir;
    FakeDaemon daemon(dir, [](const Json& r) -> Answer {
        return {{reply_ok(r, {{"changes", {{{"service", "api"}, {"action", "restart"}},
                                           {{"service", "web"}, {"action", "start"}}}}})}};
    });
    const auto result = run_corral(dir.path(), {"reload"});
    CHECK(result.exit_code == 0);
    CHECK(result.out == "reloaded: 2 changes\n  api  restart\n  web  start\n");
}

namespace {

Json transition(const std::string& instance, const std::string& from, const std::string& to, const std::string& reason) {
    return {{"time", "2026-11-25T12:01:02.000Z"}, {"instance", instance}, {"from", from}, {"to", to}, {"reason", reason}};
}

Json outcome(const std::string& instance, const std::string& result, const std::string& state, const Json& pid) {
    return {{"instance", instance}, {"result", result}, {"state", state}, {"pid", pid}, {"reason", ""}};
}

}  // namespace

TEST_CASE("corral restart waits: each step as it comes, heartbeats, then where each instance got") {
    TempDir dir;
    FakeDaemon daemon(dir, [](const Json& r) -> Answer {
        return {{event_line(r, transition("api#0", "running", "stopping", "restart requested")),
                 event_line(r, {{"time", "2026-11-25T12:01:07.000Z"},
                                {"waiting", {{{"instance", "api#0"}, {"state", "stopping"}}}},
                                {"elapsed_ms", 5000}}),
                 event_line(r, transition("api#0", "stopping", "starting", "stopped, starting again as requested")),
                 event_line(r, transition("api#0", "starting", "running", "program started")),
                 reply_ok(r, {{"instances", {"api#0", "api#1"}},
                              {"outcomes", {outcome("api#0", "done", "running", 4321),
                                            outcome("api#1", "already", "running", 4322)}}})}};
    });
    const auto result = run_corral(dir.path(), {"restart", "api", "--timeout", "2m"});
    CHECK(result.exit_code == 0);
    CHECK(result.err == "");
    CHECK(lines_of(result.out) == std::vector<std::string>{
                                      "api#0: running -> stopping: restart requested",
                                      "still waiting for api#0 (stopping), 5s so far",
                                      "api#0: stopping -> starting: stopped, starting again as requested",
                                      "api#0: starting -> running: program started",
                                      "api#0: running (pid 4321)",
                                      "api#1 is already running (pid 4322)",
                                  });
    const auto requests = daemon.requests();
    REQUIRE(requests.size() == 1);
    CHECK(requests[0]["args"] == nlohmann::json{{"target", "api"}, {"wait", true}, {"timeout_ms", 120000}});

    // --json: one JSON object a line, the events as they came and the result last.
    const auto json = run_corral(dir.path(), {"restart", "api", "--json"});
    CHECK(json.exit_code == 0);
    const auto lines = lines_of(json.out);
    REQUIRE(lines.size() == 5);
    for (const auto& line : lines) CHECK(Json::accept(line));
    CHECK(Json::parse(lines[1])["elapsed_ms"] == 5000);
    CHECK(Json::parse(lines[4])["outcomes"][1]["result"] == "already");
    CHECK(daemon.requests()[1]["args"] == nlohmann::json{{"target", "api"}, {"wait", true}});
}

TEST_CASE("corral start that fails: what got there on stdout, the reason on stderr, exit 1") {
    TempDir dir;
    FakeDaemon daemon(dir, [](const Json& r) -> Answer {
        if (r["cmd"] == "reload") {
            return {{reply_error(r, "timeout", "timed out after 2s; still waiting for web#0 (starting)",
                                 {{"changes", {{{"service", "web"}, {"action", "add"}}}},
                                  {"outcomes", {outcome("web#0", "pending", "starting", 77)}}})}};
        }
        return {{event_line(r, transition("api#1", "stopped", "starting", "start requested")),
                 event_line(r, transition("api#1", "starting", "backoff",
                                          "exited with code 1 after 20ms; restarting in 1s")),
                 reply_error(r, "wait_failed", "api#1: exited with code 1 after 20ms; restarting in 1s",
                             {{"instances", {"api#0", "api#1"}},
                              {"outcomes", {outcome("api#0", "already", "running", 11),
                                            outcome("api#1", "failed", "backoff", nullptr)}}})}};
    });
    const auto result = run_corral(dir.path(), {"start", "api"});
    CHECK(result.exit_code == 1);
    CHECK(lines_of(result.out) == std::vector<std::string>{
                                      "api#1: stopped -> starting: start requested",
                                      "api#1: starting -> backoff: exited with code 1 after 20ms; restarting in 1s",
                                      "api#0 is already running (pid 11)",
                                  });
    CHECK(result.err == "corral start: api#1: exited with code 1 after 20ms; restarting in 1s\n");

    const auto reload = run_corral(dir.path(), {"reload", "--timeout", "2s"});
    CHECK(reload.exit_code == 1);
    CHECK(reload.out == "reloaded: 1 change\n  web  add\n");
    CHECK(reload.err == "corral reload: timed out after 2s; still waiting for web#0 (starting)\n");
    CHECK(daemon.requests()[1]["args"] == nlohmann::json{{"wait", true}, {"timeout_ms", 2000}});
}

TEST_CASE("a waiting command whose daemon goes away says so and exits 1") {
    TempDir dir;
    FakeDaemon daemon(dir, [](const Json& r) -> Answer {
        return {{event_line(r, transition("api#0", "running", "stopping", "stop requested"))}, true};
    });
    const auto result = run_corral(dir.path(), {"stop", "api"});
    CHECK(result.exit_code == 1);
    CHECK(result.out == "api#0: running -> stopping: stop requested\n");
    CHECK(result.err == "corral stop: the daemon closed the connection without replying\n");
}
