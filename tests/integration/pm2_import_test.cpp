// `corral import`: pm2's documented ecosystem files (tests/fixtures/pm2/), JavaScript ones evaluated by
// node, each written as a corral service file that corral's loader accepts, every unmapped key reported;
// and an imported app brought up with `corral up -d`.
#include <doctest/doctest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>

#include "supervisor/config/load_config.hpp"
#include "tests/support/control_socket.hpp"
#include "tests/support/doctest_strings.hpp"
#include "tests/support/processes.hpp"
#include "tests/support/records.hpp"
#include "tests/support/temp_dir.hpp"

using namespace corral;
using namespace corral::test;
namespace fs = std::filesystem;
using Strings = std::vector<std::string>;

namespace {

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

struct Imported {
    CommandResult run;
    config::LoadResult loaded;

    const config::ServiceSpec& service(const std::string& name) const {
        for (const auto& spec : loaded.config->services) {
            if (spec.name == name) return spec;
        }
        FAIL("no service " << name);
        throw;
    }
};

// Copies the fixture into `dir`, imports it there (corral.toml beside it) and loads the result.
Imported import_fixture(const TempDir& dir, const std::string& name, Strings extra = {}) {
    fs::copy(fixture("pm2/" + name), dir / name);
    Strings args{"import", name};
    args.insert(args.end(), extra.begin(), extra.end());
    Imported imported;
    imported.run = run_corral(dir.path(), args);
    imported.loaded = config::load_config_file(dir / "corral.toml");
    for (const auto& error : imported.loaded.errors) MESSAGE(error.to_string());
    return imported;
}

}  // namespace

TEST_CASE("corral import: pm2's simple template") {
    TempDir dir;
    const Imported imported = import_fixture(dir, "simple.config.js");
    INFO(imported.run.err);
    CHECK(imported.run.exit_code == 0);
    REQUIRE(imported.loaded.config);
    CHECK(imported.service("app1").command == Strings{"node", "./app.js"});
    CHECK(imported.service("app1").cwd == dir.path());
    CHECK(contains(read_file(dir / "corral.toml"), "# Imported from the pm2 ecosystem file simple.config.js"));
    CHECK(contains(imported.run.err, "corral.toml: 1 service(s) (app1) from simple.config.js"));
    CHECK(contains(imported.run.err, "0 key(s) not mapped"));
}

TEST_CASE("corral import: env and env_production, and --env production") {
    TempDir dir;
    const Imported imported = import_fixture(dir, "env.config.js");
    INFO(imported.run.err);
    CHECK(imported.run.exit_code == 0);
    REQUIRE(imported.loaded.config);
    CHECK(imported.service("app").env.at("NODE_ENV") == "development");
    CHECK(imported.service("worker").command == Strings{"node", "worker.js"});
    CHECK(contains(imported.run.err, "app app: env_production: not applied"));
    CHECK(contains(read_file(dir / "corral.toml"), "# env_production = { NODE_ENV = \"production\" }"));
    // Without --force the file stays; with it, env_production is merged.
    const CommandResult again = run_corral(dir.path(), {"import", "env.config.js", "--env", "production"});
    CHECK(again.exit_code == 1);
    CHECK(contains(again.err, "corral.toml exists; give --force to replace it"));
    const CommandResult forced = run_corral(dir.path(), {"import", "env.config.js", "--env", "production", "--force"});
    CHECK(forced.exit_code == 0);
    const auto reloaded = config::load_config_file(dir / "corral.toml");
    REQUIRE(reloaded.config);
    CHECK(reloaded.config->services[0].env.at("NODE_ENV") == "production");
}

TEST_CASE("corral import: cluster mode with instances max, a port and max_memory_restart") {
    TempDir dir;
    const Imported imported = import_fixture(dir, "cluster.config.js");
    INFO(imported.run.err);
    CHECK(imported.run.exit_code == 0);
    REQUIRE(imported.loaded.config);
    const auto& api = imported.service("api");
    CHECK(api.instances == static_cast<unsigned>(::sysconf(_SC_NPROCESSORS_ONLN)));
    CHECK(contains(imported.run.err, "app api: instances: pm2's \"max\": the CPU count"));
    const auto& big = imported.service("API");
    CHECK(big.instances == 4);
    REQUIRE(big.listen.addresses.size() == 1);
    CHECK(big.listen.addresses[0].port == 3000);
    CHECK(big.ready.kind == config::ReadyKind::listening);
    REQUIRE(big.memory_watch.restart_at);
    CHECK(big.memory_watch.restart_at->bytes == std::optional<std::uint64_t>(1ull << 30));
}

TEST_CASE("corral import: JSON and YAML files, printed with -o -") {
    for (const std::string name : {"process.json", "process.yml"}) {
        CAPTURE(name);
        TempDir dir;
        const Imported imported = import_fixture(dir, name);
        INFO(imported.run.err);
        CHECK(imported.run.exit_code == 0);
        REQUIRE(imported.loaded.config);
        CHECK(imported.loaded.config->services.size() == 2);
        CHECK(contains(imported.run.err, "app worker"));
        CHECK(contains(imported.run.err, ": watch: corral does not watch files"));
        const CommandResult printed = run_corral(dir.path(), {"import", name, "-o", "-"});
        CHECK(printed.exit_code == 0);
        CHECK(printed.out == read_file(dir / "corral.toml"));
    }
}

TEST_CASE("corral import: pm2's full template and an app full of keys corral has no place for") {
    TempDir dir;
    const Imported imported = import_fixture(dir, "unsupported.config.js");
    const std::string& err = imported.run.err;
    INFO(err);
    CHECK(imported.run.exit_code == 0);
    REQUIRE(imported.loaded.config);
    for (const std::string line :
         {"app index: watch:", "app service-worker: watch:", "app my api: cron_restart:", "app my api: post_update:",
          "app my api: vizion:", "app my api: out_file:", "app my api: error_file:", "app my api: log_file:",
          "app my api: merge_logs:", "app my api: increment_var:", "app my api: namespace:",
          "app my api: source_map_support:", "app my api: shutdown_with_message:", "app my api: ignore_watch:",
          "app my api: instance_var:", "app my api: pid_file:", "app my api: uid:", "app my api: env.BAD-NAME:",
          "(file): deploy:", "left out apps[2].hook (function)"}) {
        CHECK_MESSAGE(contains(err, line), line);
    }
    CHECK(imported.service("service-worker").command == Strings{"node", "./service-worker/"});
    const auto& api = imported.service("my-api");
    CHECK(api.command == Strings{"node", "--enable-source-maps", "api.js", "--color", "auto"});
    CHECK(api.restart == policies::RestartMode::on_failure);
    CHECK(api.backoff.factor == 1.5);
    CHECK(api.start_limit.burst == 10);
    CHECK(api.logs.timestamps);
    CHECK(api.env.at("CONFIG") == "{\"nested\":true}");
    const auto& npm = imported.service("my-api-2");
    CHECK(npm.command == Strings{"npm", "start"});
    CHECK(npm.restart == policies::RestartMode::never);
}

TEST_CASE("corral import: a file that throws shows node's error, and nothing is written") {
    TempDir dir;
    dir.write("ecosystem.config.js", "throw new Error('no ecosystem here');\n");
    const CommandResult result = run_corral(dir.path(), {"import", "ecosystem.config.js"});
    CHECK(result.exit_code == 2);
    CHECK(contains(result.err, "ecosystem.config.js: node could not evaluate it:"));
    CHECK(contains(result.err, "no ecosystem here"));
    CHECK(!fs::exists(dir / "corral.toml"));
}

TEST_CASE("an imported pm2 app runs under corral up -d, says ready, and stops on shutdown") {
    TempDir dir;
    fs::copy(fixture("pm2/run"), dir.path());
    const CommandResult imported = run_corral(dir.path(), {"import", "ecosystem.config.js"});
    INFO(imported.err);
    REQUIRE(imported.exit_code == 0);
    CorralProcess up(dir.path(), {"up", "-d"});
    const auto launched = up.wait(30s);
    REQUIRE(launched);
    CHECK(WIFEXITED(*launched));
    CHECK(WEXITSTATUS(*launched) == 0);
    SocketClient client(dir / ".corral/corral.sock");
    REQUIRE(client.connected());
    const auto state = [&](const std::string& name) {
        const nlohmann::json instance = instance_of(client, name);
        return instance.is_object() ? instance.value("state", "") : std::string();
    };
    CHECK(wait_until([&] { return state("pm2-demo#0") == "running" && state("pm2-demo#1") == "running"; }, 20s));
    CHECK(wait_until([&] { return !lines_containing(dir / ".corral/logs/pm2-demo-1.out.log", "hello from pm2 (instance 1)").empty(); }, 10s));
    client.close();
    const CommandResult shutdown = run_corral(dir.path(), {"shutdown"});
    CHECK(shutdown.exit_code == 0);
    CHECK(wait_until([&] { return !fs::exists(dir / ".corral/corral.sock"); }, 20s));
}
