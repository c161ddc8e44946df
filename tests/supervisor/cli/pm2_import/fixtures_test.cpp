// pm2's documented JSON and YAML examples (tests/fixtures/pm2/), imported and loaded with corral's loader,
// key by key. The JavaScript examples need node: tests/integration/pm2_import_test.cpp runs them.
#include <doctest/doctest.h>

#include "tests/supervisor/cli/pm2_import/import_checks.hpp"
#include "supervisor/cli/pm2_import/ecosystem_reader.hpp"
#include "tests/support/doctest_strings.hpp"

using namespace corral;
using namespace corral::test;
using namespace std::chrono_literals;
using Strings = std::vector<std::string>;

TEST_CASE("process.json: fork and cluster apps, args, node_args, port, wait_ready and kill_timeout") {
    TempDir dir;
    const Imported imported = import_fixture("process.json", dir);
    INFO(imported.load_errors);
    INFO(imported.text);
    REQUIRE(imported.loaded.config);
    REQUIRE(imported.loaded.config->services.size() == 2);
    const auto& worker = *imported.service("worker-app");
    CHECK(worker.command == Strings{"node", "./worker.js", "--queue", "high priority", "-v"});
    CHECK(worker.env.at("NODE_ENV") == "development");
    CHECK(worker.stop.signal == 2);
    CHECK(imported.unmapped("worker-app", "watch"));
    CHECK(imported.approximated("worker-app", "env_production"));
    const auto& api = *imported.service("api-app");
    CHECK(api.command == Strings{"node", "--max-old-space-size=4096", "./api.js"});
    CHECK(api.instances == 4);
    CHECK(api.env.at("PORT") == "8080");
    REQUIRE(api.listen.addresses.size() == 1);
    CHECK(api.listen.addresses[0].port == 8080);
    CHECK(api.ready.kind == config::ReadyKind::message);
    CHECK(api.ready.timeout == 10s);
    CHECK(api.stop.timeout == 3s);
    CHECK(imported.result.unmapped.size() == 1);
}

TEST_CASE("process.yml: YAML values typed as pm2 reads them, memory and restart delay") {
    TempDir dir;
    const Imported imported = import_fixture("process.yml", dir);
    INFO(imported.load_errors);
    INFO(imported.text);
    REQUIRE(imported.loaded.config);
    const auto& api = *imported.service("api-app");
    CHECK(api.command == Strings{"node", "./api.js"});
    CHECK(api.instances == 4);
    CHECK(api.listen.addresses.empty());
    CHECK(imported.approximated("api-app", "exec_mode"));
    const auto& worker = *imported.service("worker");
    CHECK(worker.env.at("RETRIES") == "3");
    CHECK(worker.env.at("TOKEN") == "007");
    REQUIRE(worker.memory_watch.restart_at);
    CHECK(worker.memory_watch.restart_at->bytes == std::optional<std::uint64_t>(300ull << 20));
    CHECK(worker.backoff.initial == 3s);
    CHECK(worker.backoff.factor == 1.0);
    CHECK(imported.unmapped("worker", "watch"));
    CHECK(imported.approximated("worker", "env_production"));
    CHECK(imported.approximated("worker", "max_memory_restart"));
}

TEST_CASE("ecosystem files with errors are named with their place") {
    TempDir dir;
    const auto bad_json = pm2::read_ecosystem(dir.write("bad.json", "{ \"apps\": [ { \"script\": } ] }"));
    CHECK(!bad_json.document);
    CHECK(bad_json.error.find("bad.json: invalid JSON") != std::string::npos);
    const auto bad_yaml = pm2::read_ecosystem(dir.write("bad.yml", "apps:\n  - script: a.js\n   name: [x\n"));
    CHECK(!bad_yaml.document);
    CHECK(bad_yaml.error.find((dir / "bad.yml").string() + ":") == 0);
    const auto missing = pm2::read_ecosystem(dir / "none.json");
    CHECK(missing.error == (dir / "none.json").string() + ": no such file");
    const auto other = pm2::read_ecosystem(dir.write("eco.txt", "{}"));
    CHECK(other.error.find("expected .js, .cjs, .mjs, .json, .yaml or .yml") != std::string::npos);
    const auto commented = pm2::read_ecosystem(dir.write("c.json", "// pm2 reads JSON as JavaScript\n{\"script\": \"a.js\"}"));
    REQUIRE(commented.document);
    CHECK((*commented.document)["script"] == "a.js");
}
