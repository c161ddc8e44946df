#pragma once
// For the tests of the Node agent's runtime reports: a daemon on a service file in a temporary directory,
// its instances as `status` shows them, and the JSON records the fixtures (runtime_peer.js,
// runtime_app.js) write.
#include <doctest/doctest.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/support/control_socket.hpp"
#include "tests/support/processes.hpp"
#include "tests/support/temp_dir.hpp"

namespace corral::test {

struct RuntimeDaemon {
    TempDir dir;
    TempDir elsewhere;
    std::unique_ptr<CorralProcess> corral;
    std::filesystem::path socket;

    explicit RuntimeDaemon(const std::string& toml) {
        dir.write("corral.toml", toml);
        corral = std::make_unique<CorralProcess>(dir.path(), std::vector<std::string>{"up"});
        socket = dir / ".corral/corral.sock";
        REQUIRE(wait_until([&] { return std::filesystem::exists(socket); }, 10s));
    }
    CommandResult cli(std::vector<std::string> args) const {
        args.push_back("--socket");
        args.push_back(socket.string());
        return run_corral(elsewhere.path(), args, 60s);
    }
    // The instance "NAME#INDEX" in a fresh status reply; null when there is none.
    nlohmann::json state(const std::string& instance) const {
        SocketClient client(socket);
        return instance_of(client, instance);
    }
    // What the fixture wrote to dir/<name>, or null when there is nothing (yet).
    nlohmann::json record(const std::string& name) const {
        if (!std::filesystem::exists(dir / name)) return nullptr;
        return nlohmann::json::parse(read_file(dir / name), nullptr, false);
    }
    // A number in a record, -1 when absent.
    long long counted(const std::string& name, const std::string& key) const {
        const nlohmann::json found = record(name);
        return found.is_object() && found.contains(key) && found[key].is_number_integer() ? found[key].get<long long>()
                                                                                           : -1;
    }
};

}  // namespace corral::test
