// Faults: the daemon frozen (SIGSTOP) in the middle of a stream and thawed (SIGCONT). Nothing is lost,
// nothing is restarted, and the control socket answers again at once.
#include <doctest/doctest.h>
#include <signal.h>

#include <thread>

#include "tests/support/control_socket.hpp"
#include "tests/support/processes.hpp"
#include "tests/support/records.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/text.hpp"

using namespace corral::test;

TEST_CASE("faults: SIGSTOP then SIGCONT of the daemon mid-stream loses no message and restarts nothing") {
    TempDir dir;
    dir.write("corral.toml", subst(R"TOML(
[services.parent]
command = ["node", "${sender}"]
env = { RECORD_FILE = "${out}", COUNT = "100000", PACE = "flood", RATE = "20000", DELAY_MS = "300" }

[services.child]
command = ["node", "${receiver}"]
parent = "parent"
env = { RECORD_FILE = "${in}", EXPECT = "100000" }
)TOML", {{"sender", fixture("ipc_sender.js")}, {"receiver", fixture("ipc_receiver.js")},
         {"out", (dir / "out").string()}, {"in", (dir / "in").string()}}));
    CorralProcess corral(dir.path(), {"up"});
    REQUIRE(wait_until([&] { return count_records(dir / "in", "first") == 1; }, 20s));
    corral.signal(SIGSTOP);
    std::this_thread::sleep_for(2s);
    CHECK(count_records(dir / "out", "sent") == 0);  // frozen mid-stream: the sender was not done
    CHECK(process_state(corral.pid()) == 'T');
    corral.signal(SIGCONT);
    SocketClient client(dir / ".corral/corral.sock");
    const auto status = client.request("status");
    CHECK(status["ok"] == true);
    REQUIRE(wait_until([&] { return count_records(dir / "in", "done") == 1; }, 60s));
    CHECK(lines_containing(dir / "in", "gap ").empty());
    const auto instances = client.request("status")["result"]["instances"];
    CHECK(instances.size() == 2);
    for (const auto& instance : instances) {
        CHECK(instance["restarts"] == 0);  // a frozen daemon is not a reason to restart anyone
    }
    CHECK(corral.stop() == 0);
}
