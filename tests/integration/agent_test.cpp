// corral's Node agent (supervisor/agent/agent.js) in real Node processes: listening sockets held by the
// test, as the daemon holds them, passed at fds 3.. with LISTEN_FDS/LISTEN_PID and CORRAL_LISTEN, and an
// HTTP app that knows nothing of corral (tests/fixtures/agent_app.js).
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/wait.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <set>

#include "supervisor/agent/agent_file.hpp"
#include "tests/integration/agent_apps.hpp"
#include "tests/integration/http_client.hpp"
#include "tests/support/processes.hpp"
#include "tests/support/temp_dir.hpp"

using namespace corral::test;
namespace fs = std::filesystem;

namespace {

constexpr auto kStart = 20s;  // a Node process starting on a busy machine

struct Agent {
    TempDir dir;
    fs::path file;
    Agent() {
        const auto installed = corral::agent::install_agent(dir / "agent");
        REQUIRE_MESSAGE(installed.ok(), installed.error().message());
        file = *installed;
    }
};

nlohmann::json reported(const HeldSocket& socket) {
    return {{"cmd", "NODE_CORRAL_LISTENING"}, {"address", socket.address}};
}

// A line of the channel as JSON (a discarded value when it is not JSON: equal to nothing).
nlohmann::json parsed(const std::string& line) { return nlohmann::json::parse(line, nullptr, false); }

std::unique_ptr<NodeApp> start(const Agent& agent, std::vector<const HeldSocket*> sockets,
                               std::map<std::string, std::string> env) {
    return std::make_unique<NodeApp>(agent.file, AppOptions{std::move(sockets), std::move(env)});
}

std::map<std::string, std::string> on_port(const HeldSocket& socket) { return {{"PORT", std::to_string(socket.port)}}; }

// The pid that answered, or "" when the request failed.
std::string answered_by(const std::optional<HttpReply>& reply) {
    return reply && reply->status == 200 ? reply->body : "";
}

bool died_by(const std::optional<int>& status, int signum) {
    return status && WIFSIGNALED(*status) && WTERMSIG(*status) == signum;
}

}  // namespace

TEST_CASE("agent: four processes adopt one held port and each of them accepts its connections") {
    Agent agent;
    const HeldSocket held = HeldSocket::tcp("127.0.0.1");
    std::vector<std::unique_ptr<NodeApp>> apps;
    std::set<std::string> pids;
    for (int i = 0; i < 4; ++i) {
        apps.push_back(start(agent, {&held}, on_port(held)));
        pids.insert(std::to_string(apps.back()->pid()));
    }
    for (auto& app : apps) {
        CHECK(parsed(app->channel_line(kStart)) == reported(held));
        CHECK(app->output_line("listening ", kStart).find("\"port\":" + std::to_string(held.port)) != std::string::npos);
    }

    int answered = 0;
    for (int i = 0; i < 200; ++i) answered += pids.count(answered_by(fresh_get(held))) > 0;
    CHECK(answered == 200);

    // With the three others stopped, a new connection can only be taken by the fourth.
    for (auto& app : apps) {
        for (auto& other : apps) {
            if (other != app) other->signal(SIGSTOP);
        }
        const std::string by = answered_by(fresh_get(held));
        for (auto& other : apps) other->signal(SIGCONT);
        CHECK(by == std::to_string(app->pid()));
    }
}

TEST_CASE("agent: a listen on an address that is not held is left to Node") {
    Agent agent;
    const HeldSocket held = HeldSocket::tcp("127.0.0.1");
    NodeApp app(agent.file, {{&held}, {{"PORT", "0"}}});
    const std::string line = app.output_line("listening ", kStart);
    REQUIRE(!line.empty());
    HeldSocket own;  // where the app bound by itself
    own.host = "127.0.0.1";
    own.port = nlohmann::json::parse(line.substr(line.find(" ") + 1))["port"].get<int>();
    CHECK(own.port != held.port);
    CHECK(answered_by(fresh_get(own)) == std::to_string(app.pid()));
    // The report would have been sent before the app's listen callback ran: there is none.
    CHECK(app.channel_line(0ms) == "");
}

TEST_CASE("agent: a process whose LISTEN_PID is not its own adopts nothing") {
    Agent agent;
    const HeldSocket held = HeldSocket::tcp("127.0.0.1");
    AppOptions options{{&held}, on_port(held)};
    options.listen_pid_is_own = false;
    NodeApp app(agent.file, options);
    const auto status = app.wait(kStart);
    REQUIRE(status);
    CHECK((WIFEXITED(*status) && WEXITSTATUS(*status) == 1));
    CHECK(app.error_text().find("EADDRINUSE") != std::string::npos);  // Node bound by itself: the test holds the port
    CHECK(app.channel_line(0ms) == "");
}

TEST_CASE("agent: localhost takes both held loopback sockets, reports each, and a second listen is refused") {
    Agent agent;
    const HeldSocket v4 = HeldSocket::tcp("127.0.0.1");
    std::optional<HeldSocket> v6;
    try {
        v6 = HeldSocket::tcp("::1", v4.port);
    } catch (const std::exception& error) {
        MESSAGE("no IPv6 loopback here (" << error.what() << "): skipped");
        return;
    }
    NodeApp app(agent.file, {{&v4, &*v6}, {{"PORT", std::to_string(v4.port)}, {"HOST", "localhost"}, {"SECOND", "1"}}});
    const std::set<nlohmann::json> lines = {parsed(app.channel_line(kStart)), parsed(app.channel_line(kStart))};
    CHECK(lines == std::set<nlohmann::json>{reported(v4), reported(*v6)});
    CHECK(app.output_line("second listen: ", kStart) == "second listen: EADDRINUSE");
    CHECK(answered_by(fresh_get(v4)) == std::to_string(app.pid()));
    CHECK(answered_by(fresh_get(*v6)) == std::to_string(app.pid()));  // through the hidden second server
}

TEST_CASE("agent: a held unix socket is adopted by its path, and left in place when the app dies") {
    Agent agent;
    TempDir dir;
    const HeldSocket held = HeldSocket::unix_socket(dir / "web.sock");
    NodeApp app(agent.file, {{&held}, {{"SOCKET", held.path.string()}}});
    CHECK(parsed(app.channel_line(kStart)) == reported(held));
    CHECK(app.output_line("listening ", kStart) == "listening \"" + held.path.string() + "\"");
    CHECK(answered_by(fresh_get(held)) == std::to_string(app.pid()));
    app.signal(SIGTERM);
    CHECK(died_by(app.wait(kStart), SIGTERM));
    CHECK(fs::is_socket(held.path));  // the daemon's, not Node's to remove
    CHECK(static_cast<bool>(HttpConnection(held)));
}

TEST_CASE("agent: an app with a SIGTERM listener of its own is left to shut itself down") {
    Agent agent;
    const HeldSocket held = HeldSocket::tcp("127.0.0.1");
    auto env = on_port(held);
    env["OWN_SIGTERM"] = "1";
    NodeApp app(agent.file, {{&held}, env});
    REQUIRE(parsed(app.channel_line(kStart)) == reported(held));
    app.signal(SIGTERM);
    REQUIRE(app.output_line("the app got SIGTERM", kStart) != "");
    // A drain would have closed the held socket before the app's listener ran.
    CHECK(app.has_fd(3));
    CHECK(answered_by(fresh_get(held)) == std::to_string(app.pid()));
    CHECK_FALSE(app.wait(0ms));
}
