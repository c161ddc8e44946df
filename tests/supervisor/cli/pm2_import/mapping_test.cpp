// One pm2 key group at a time: the document is imported, written, and loaded with corral's loader.
#include <doctest/doctest.h>

#include "tests/supervisor/cli/pm2_import/import_checks.hpp"
#include "tests/support/doctest_strings.hpp"

using namespace corral;
using namespace corral::test;
using namespace std::chrono_literals;
using nlohmann::json;
using Strings = std::vector<std::string>;

namespace {

json app(json fields) {
    fields["name"] = "web";
    if (!fields.contains("script") && !fields.contains("exec")) fields["script"] = "server.js";
    return json{{"apps", json::array({fields})}};
}

}  // namespace

TEST_CASE("script, interpreter, node_args and args make the command as pm2 runs it") {
    TempDir dir;
    struct Case {
        json fields;
        Strings command;
    };
    const Case cases[] = {
        {{{"script", "server.js"}, {"args", "--port 3000"}}, {"node", "server.js", "--port", "3000"}},
        {{{"script", "server.js"}, {"node_args", "--inspect --max-old-space-size=512"}},
         {"node", "--inspect", "--max-old-space-size=512", "server.js"}},
        {{{"script", "server.js"}, {"interpreter_args", json::array({"--trace-warnings"})}},
         {"node", "--trace-warnings", "server.js"}},
        {{{"script", "npm"}, {"args", "start"}}, {"npm", "start"}},
        {{{"script", "./bin/www"}, {"interpreter", "none"}}, {"./bin/www"}},
        {{{"script", "worker.py"}}, {"python", "worker.py"}},
        {{{"script", "app.js"}, {"interpreter", "/usr/local/bin/node"}}, {"/usr/local/bin/node", "app.js"}},
        {{{"script", "./service-worker/"}}, {"node", "./service-worker/"}},
        {{{"exec", "alias.js"}}, {"node", "alias.js"}},
    };
    for (const auto& c : cases) {
        CAPTURE(c.fields.dump());
        const Imported imported = import_document(app(c.fields), dir);
        INFO(imported.load_errors);
        REQUIRE(imported.service("web"));
        CHECK(imported.service("web")->command == c.command);
    }
}

TEST_CASE("a script with spaces is a shell command line, as pm2 runs it with bash -c") {
    TempDir dir;
    const Imported imported = import_document(app({{"script", "node server.js --fast"}, {"args", "x"}}), dir);
    INFO(imported.load_errors);
    REQUIRE(imported.service("web"));
    CHECK(imported.service("web")->command == Strings{"/bin/sh", "-c", "node server.js --fast"});
    CHECK(imported.approximated("web", "script"));
    CHECK(imported.unmapped("web", "args"));
}

TEST_CASE("an app without a script is an error and nothing is imported for it") {
    TempDir dir;
    const auto result = import_document(json{{"apps", json::array({json{{"name", "x"}}})}}, dir).result;
    REQUIRE(result.errors.size() == 1);
    CHECK(result.errors[0].find("app x: no script") != std::string::npos);
    CHECK(import_document(json(42), dir).result.errors.size() == 1);
    CHECK(import_document(json{{"apps", json::array()}}, dir).result.errors.size() == 1);
    CHECK(import_document(json{{"apps", json::array({7})}}, dir).result.errors.size() == 1);
}

TEST_CASE("restart keys: autorestart, stop_exit_codes, delays, max_restarts and min_uptime") {
    TempDir dir;
    const Imported never = import_document(app({{"autorestart", false}, {"stop_exit_codes", json::array({0})}}), dir);
    REQUIRE(never.service("web"));
    CHECK(never.service("web")->restart == policies::RestartMode::never);
    const Imported on_failure = import_document(app({{"stop_exit_codes", json::array({0, 3})}}), dir);
    REQUIRE(on_failure.service("web"));
    CHECK(on_failure.service("web")->restart == policies::RestartMode::on_failure);
    CHECK(on_failure.approximated("web", "stop_exit_codes"));
    CHECK(import_document(app({{"stop_exit_codes", 3}}), dir).unmapped("web", "stop_exit_codes"));

    const Imported fixed = import_document(app({{"restart_delay", 4000}, {"max_restarts", 3}, {"min_uptime", "2s"}}), dir);
    INFO(fixed.load_errors);
    REQUIRE(fixed.service("web"));
    const auto& spec = *fixed.service("web");
    CHECK(spec.backoff.initial == 4s);
    CHECK(spec.backoff.factor == 1.0);
    CHECK(spec.backoff.max == 4s);
    CHECK(spec.backoff.reset_after == 2s);
    CHECK(spec.start_limit.burst == 3);
    CHECK(spec.start_limit.interval == 18s);  // 3 x (2s uptime + 4s delay)
    CHECK(fixed.approximated("web", "max_restarts"));

    const Imported exponential = import_document(app({{"exp_backoff_restart_delay", 100}}), dir);
    REQUIRE(exponential.service("web"));
    CHECK(exponential.service("web")->backoff.initial == 100ms);
    CHECK(exponential.service("web")->backoff.factor == 1.5);
    CHECK(exponential.service("web")->backoff.max == 15s);
    const Imported zero = import_document(app({{"max_restarts", 0}}), dir);
    REQUIRE(zero.service("web"));
    CHECK(zero.service("web")->restart == policies::RestartMode::never);
}

TEST_CASE("stop: SIGINT as pm2 sends it, kill_timeout as stop.timeout") {
    TempDir dir;
    const Imported imported = import_document(app({{"kill_timeout", 3000}}), dir);
    REQUIRE(imported.service("web"));
    CHECK(imported.service("web")->stop.signal == 2);
    CHECK(imported.service("web")->stop.timeout == 3s);
    CHECK(imported.text.find("# pm2 stops apps with SIGINT") != std::string::npos);
}

TEST_CASE("instances: max, 0 and -1 count the CPUs at import time, cluster mode with a port holds it") {
    TempDir dir;
    corral::pm2::ImportOptions options;
    options.cpu_count = 6;
    const Imported max = import_document(app({{"instances", "max"}, {"exec_mode", "cluster"}}), dir, options);
    REQUIRE(max.service("web"));
    CHECK(max.service("web")->instances == 6);
    CHECK(max.approximated("web", "instances"));
    CHECK(max.approximated("web", "exec_mode"));  // no port known: a suggestion
    CHECK(max.text.find("# listen = [3000]") != std::string::npos);
    CHECK(max.service("web")->listen.addresses.empty());
    const Imported minus = import_document(app({{"instances", -1}}), dir, options);
    REQUIRE(minus.service("web"));
    CHECK(minus.service("web")->instances == 5);
    const Imported port = import_document(app({{"instances", 4}, {"env", {{"PORT", "8080"}}}}), dir, options);
    INFO(port.load_errors);
    REQUIRE(port.service("web"));
    REQUIRE(port.service("web")->listen.addresses.size() == 1);
    CHECK(port.service("web")->listen.addresses[0].port == 8080);
    CHECK(port.service("web")->ready.kind == config::ReadyKind::listening);
    const Imported fork = import_document(app({{"instances", 4}, {"exec_mode", "fork"}, {"port", 8080}}), dir, options);
    REQUIRE(fork.service("web"));
    CHECK(fork.service("web")->listen.addresses.empty());
    CHECK(fork.service("web")->env.at("PORT") == "8080");
}

TEST_CASE("wait_ready, listen_timeout, max_memory_restart and log dates") {
    TempDir dir;
    const Imported imported = import_document(
        app({{"wait_ready", true}, {"listen_timeout", 8000}, {"max_memory_restart", "300M"}, {"time", true}}), dir);
    INFO(imported.load_errors);
    REQUIRE(imported.service("web"));
    const auto& spec = *imported.service("web");
    CHECK(spec.ready.kind == config::ReadyKind::message);
    CHECK(spec.ready.timeout == 8s);
    REQUIRE(spec.memory_watch.restart_at);
    CHECK(spec.memory_watch.restart_at->bytes == std::optional<std::uint64_t>(300ull << 20));
    CHECK(spec.logs.timestamps);
    CHECK(import_document(app({{"listen_timeout", 8000}}), dir).unmapped("web", "listen_timeout"));
    CHECK(import_document(app({{"max_memory_restart", "1K"}}), dir).unmapped("web", "max_memory_restart"));
}

TEST_CASE("env: values keep their meaning, bad names are reported, env_<name> is a comment or merged with --env") {
    TempDir dir;
    const json document = app({{"env", {{"NODE_ENV", "development"}, {"PORT", 3000}, {"DEBUG", true}, {"RATIO", 1.5},
                                        {"BAD-NAME", "x"}, {"QUOTE", "say \"hi\"\n"}}},
                               {"env_production", {{"NODE_ENV", "production"}}}});
    const Imported plain = import_document(document, dir);
    INFO(plain.load_errors);
    REQUIRE(plain.service("web"));
    const auto& env = plain.service("web")->env;
    CHECK(env.at("NODE_ENV") == "development");
    CHECK(env.at("PORT") == "3000");
    CHECK(env.at("DEBUG") == "true");
    CHECK(env.at("RATIO") == "1.5");
    CHECK(env.at("QUOTE") == "say \"hi\"\n");
    CHECK(env.count("BAD-NAME") == 0);
    CHECK(plain.unmapped("web", "env.BAD-NAME"));
    CHECK(plain.approximated("web", "env_production"));
    CHECK(plain.text.find("# env_production = { NODE_ENV = \"production\" }") != std::string::npos);
    corral::pm2::ImportOptions options;
    options.env_name = "production";
    const Imported merged = import_document(document, dir, options);
    REQUIRE(merged.service("web"));
    CHECK(merged.service("web")->env.at("NODE_ENV") == "production");
    CHECK(merged.service("web")->env.at("PORT") == "3000");
}

TEST_CASE("names: sanitized, deduplicated and reported, the default name is the script file name") {
    TempDir dir;
    const json document = {{"apps", json::array({json{{"name", "my api"}, {"script", "a.js"}},
                                                  json{{"name", "my api"}, {"script", "b.js"}},
                                                  json{{"script", "./lib/worker.js"}},
                                                  json{{"name", "api.v2"}, {"script", "c.js"}}})}};
    const Imported imported = import_document(document, dir);
    INFO(imported.load_errors);
    REQUIRE(imported.loaded.config);
    Strings names;
    for (const auto& spec : imported.loaded.config->services) names.push_back(spec.name);
    CHECK(names == Strings{"my-api", "my-api-2", "worker", "api.v2"});
    CHECK(imported.approximated("my api", "name"));
    CHECK(imported.text.find("[services.\"api.v2\"]") != std::string::npos);
}

TEST_CASE("keys corral has no place for are reported with what to do, default values are accepted quietly") {
    TempDir dir;
    const Imported imported = import_document(
        app({{"watch", true}, {"cron_restart", "0 * * * *"}, {"vizion", false}, {"treekill", true},
             {"frobnicate", 1}, {"out_file", "/tmp/x.log"}}),
        dir);
    INFO(imported.load_errors);
    REQUIRE(imported.loaded.config);
    CHECK(imported.unmapped("web", "watch"));
    CHECK(imported.unmapped("web", "cron_restart"));
    CHECK(imported.unmapped("web", "frobnicate"));
    CHECK(imported.unmapped("web", "out_file"));
    CHECK(!imported.unmapped("web", "vizion"));
    CHECK(!imported.unmapped("web", "treekill"));
    const Imported deploy = import_document(json{{"apps", json::array({json{{"script", "a.js"}}})}, {"deploy", json::object()}}, dir);
    CHECK(deploy.unmapped("", "deploy"));
}

TEST_CASE("a relative cwd is written against the ecosystem's directory when the output is elsewhere") {
    TempDir dir;
    dir.make_dir("eco/api");
    corral::pm2::ImportOptions options;
    options.absolute_base = (dir / "eco").string();
    const Imported with_cwd = import_document(app({{"cwd", "api"}}), dir, options);
    INFO(with_cwd.load_errors);
    REQUIRE(with_cwd.service("web"));
    CHECK(with_cwd.service("web")->cwd == dir / "eco/api");
    const Imported without = import_document(app({}), dir, options);
    REQUIRE(without.service("web"));
    CHECK(without.service("web")->cwd == dir / "eco");
}
