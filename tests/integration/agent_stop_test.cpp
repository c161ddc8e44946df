// The agent's drain on the stop signal (supervisor/agent/agent.js): an instance stops while another goes on
// serving from the same held socket, and no client sees a failed request.
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/wait.h>

#include "supervisor/agent/agent_file.hpp"
#include "tests/integration/agent_apps.hpp"
#include "tests/integration/http_client.hpp"
#include "tests/support/processes.hpp"
#include "tests/support/temp_dir.hpp"

using namespace corral::test;

TEST_CASE("agent: SIGTERM drains an instance - requests complete, keep-alive gets Connection: close, then it dies by SIGTERM") {
    TempDir dir;
    const auto agent = corral::agent::install_agent(dir / "agent");
    REQUIRE(agent.ok());
    const HeldSocket held = HeldSocket::tcp("127.0.0.1");
    const std::map<std::string, std::string> env = {{"PORT", std::to_string(held.port)}};
    NodeApp a(*agent, {{&held}, env});
    NodeApp b(*agent, {{&held}, env});
    REQUIRE(a.channel_line(20s) != "");
    REQUIRE(b.channel_line(20s) != "");
    const std::string pid_a = std::to_string(a.pid());
    const std::string pid_b = std::to_string(b.pid());
    int failed = 0;
    const auto fresh = [&] {
        const auto reply = fresh_get(held);
        if (!reply || reply->status != 200) ++failed;
        return reply ? reply->body : "";
    };

    // Three keep-alive connections to A (B stopped, so A takes them), each with a request answered.
    b.signal(SIGSTOP);
    HttpConnection idle(held), reused(held), in_flight(held);
    for (HttpConnection* connection : {&idle, &reused, &in_flight}) {
        REQUIRE(connection->send_get("/"));
        const auto reply = connection->read_reply();
        REQUIRE(reply);
        CHECK(reply->body == pid_a);
        CHECK(reply->header("connection") == "keep-alive");
    }
    REQUIRE(in_flight.send_get("/slow"));  // answered 300 ms later
    b.signal(SIGCONT);

    a.signal(SIGTERM);
    // B answers throughout; A stops accepting (its copy of the held socket is closed).
    CHECK(wait_until([&] { return fresh() != "" && !a.has_fd(3); }, 20s));
    for (int i = 0; i < 20; ++i) CHECK(fresh() == pid_b);

    const auto slow = in_flight.read_reply();
    REQUIRE(slow);
    CHECK(slow->status == 200);
    CHECK(slow->body == pid_a);

    // A request on a kept-alive connection during the drain: answered, with Connection: close.
    REQUIRE(reused.send_get("/"));
    const auto last = reused.read_reply();
    REQUIRE(last);
    CHECK(last->body == pid_a);
    CHECK(last->header("connection") == "close");
    CHECK(reused.closed_by_server());

    // A connection that stays idle is closed after the grace; then A dies by the signal, as without the agent.
    CHECK(idle.closed_by_server());
    CHECK(in_flight.closed_by_server());
    const auto status = a.wait(20s);
    REQUIRE(status);
    CHECK((WIFSIGNALED(*status) && WTERMSIG(*status) == SIGTERM));
    for (int i = 0; i < 20; ++i) CHECK(fresh() == pid_b);
    CHECK(failed == 0);
}
