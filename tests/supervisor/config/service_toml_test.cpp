// The service-file text of run specs (corral save), read back by the loader as the same specs, and the
// check of a spec made over the socket (add) with the loader's rules and words.
#include <doctest/doctest.h>

#include "supervisor/config/load_config.hpp"
#include "supervisor/config/service_toml.hpp"
#include "tests/support/temp_dir.hpp"

using namespace corral::config;
using corral::test::TempDir;

namespace {

ServiceSpec run_spec(std::string name, std::vector<std::string> command, std::filesystem::path cwd) {
    ServiceSpec spec;
    spec.name = std::move(name);
    spec.command = std::move(command);
    spec.cwd = std::move(cwd);
    return spec;
}

}  // namespace

TEST_CASE("services_text writes only what differs from the defaults, in the services' order") {
    const auto web = run_spec("web", {"node", "server.js"}, "/srv/web");
    auto api = run_spec("api.v2", {"npx", "api"}, "/srv/api");
    api.instances = 3;
    api.restart = corral::policies::RestartMode::never;
    api.env = {{"PORT", "3000"}};
    CHECK(services_text({web, api}) ==
          "[services.web]\ncommand = [ \"node\", \"server.js\" ]\ncwd = \"/srv/web\"\n\n"
          "[services.\"api.v2\"]\ncommand = [ \"npx\", \"api\" ]\ncwd = \"/srv/api\"\nenv = { PORT = \"3000\" }\n"
          "instances = 3\nrestart = \"never\"\n");
}

TEST_CASE("what services_text writes loads back as the same specs - quotes, backslashes, newlines, shell") {
    TempDir dir;
    auto odd = run_spec("odd", {"node", "-e", "console.log(\"a\\\\b\")\n// 'x' \"\"\" ''' \t end"}, dir.path());
    odd.env = {{"A_B", "line1\nline2 \"q\" \\"}, {"EMPTY", ""}};
    auto shell = run_spec("sh", {"/bin/sh", "-c", "echo \"$HOME\" && sleep 1"}, dir.path());
    shell.shell = true;
    const std::string text = service_file_text({odd, shell}, std::filesystem::path(dir / "state"));
    const LoadResult loaded = load_config_text(text, dir / "corral.toml");
    REQUIRE_MESSAGE(loaded.config, text);
    REQUIRE(loaded.config->services.size() == 2);
    CHECK(loaded.config->supervisor.state_dir == dir / "state");
    CHECK(loaded.config->services[0] == odd);
    CHECK(loaded.config->services[1] == shell);
    CHECK(text.find("shell = true") != std::string::npos);
}

TEST_CASE("check_run_service - the loader's rules and messages, the spec otherwise") {
    TempDir dir;
    const auto good = check_run_service(run_spec("web", {"node", "app.js"}, dir.path()));
    REQUIRE(std::holds_alternative<ServiceSpec>(good));
    CHECK(std::get<ServiceSpec>(good).name == "web");
    CHECK(std::get<ServiceSpec>(good).cwd == dir.path());

    const auto missing = check_run_service(run_spec("web", {"node"}, dir / "nope"));
    REQUIRE(std::holds_alternative<std::string>(missing));
    CHECK(std::get<std::string>(missing) == "invalid directory for services.web.cwd: " + (dir / "nope").string() +
                                                " does not exist (expected an existing directory, got \"" +
                                                (dir / "nope").string() + "\")");
    const auto empty = check_run_service(run_spec("web", {}, dir.path()));
    REQUIRE(std::holds_alternative<std::string>(empty));
    CHECK(std::get<std::string>(empty).find("invalid value for services.web.command") == 0);
    const auto bad_name = check_run_service(run_spec("a b", {"node"}, dir.path()));
    REQUIRE(std::holds_alternative<std::string>(bad_name));
    CHECK(std::get<std::string>(bad_name) ==
          "invalid service name \"a b\" (expected only letters, digits, '_', '.' and '-', got ' ')");
}
