// corral save's text: the daemon's own file kept as it is with the ad-hoc services appended, and a whole
// file for a daemon without one; both load back.
#include <doctest/doctest.h>

#include "supervisor/cli/save_text.hpp"
#include "supervisor/config/load_config.hpp"
#include "tests/support/temp_dir.hpp"

using namespace corral::supervisor::cli;
using corral::test::TempDir;
namespace fs = std::filesystem;

namespace {

Json services_reply(const fs::path& file, const fs::path& state_dir, const fs::path& cwd) {
    return Json{{"file", file.string()},
                {"state_dir", state_dir.string()},
                {"services",
                 Json::array({Json{{"name", "web"}, {"adhoc", false}, {"command", {"node", "web.js"}}, {"shell", false},
                                   {"cwd", cwd.string()}, {"env", Json::object()}, {"instances", 1}, {"restart", "always"}},
                              Json{{"name", "extra"}, {"adhoc", true}, {"command", {"npx", "extra"}}, {"shell", false},
                                   {"cwd", cwd.string()}, {"env", {{"PORT", "4000"}}}, {"instances", 2},
                                   {"restart", "on-failure"}}})}};
}

}  // namespace

TEST_CASE("read_services keeps the order and which services are ad-hoc") {
    std::string error;
    const auto daemon = read_services(services_reply("/srv/corral.toml", "/srv/.corral", "/srv"), error);
    REQUIRE(daemon);
    CHECK(daemon->file == "/srv/corral.toml");
    REQUIRE(daemon->services.size() == 2);
    CHECK(daemon->services[1].env.at("PORT") == "4000");
    CHECK(daemon->services[1].instances == 2);
    CHECK(daemon->adhoc == std::set<std::string>{"extra"});
    CHECK(daemon->adhoc_services().size() == 1);
    CHECK_FALSE(read_services(Json{{"services", Json::array({Json{{"name", "x"}}})}}, error));
    CHECK(error.find("the daemon described a service") == 0);
}

TEST_CASE("merged_text keeps the file's text, comments included, and appends the ad-hoc services") {
    TempDir dir;
    const std::string original = "# the web tier\n[services.web]\ncommand = [\"node\", \"web.js\"] # inline comment\n";
    std::string error;
    const auto daemon = read_services(services_reply(dir / "corral.toml", dir / ".corral", dir.path()), error);
    REQUIRE(daemon);
    const std::string text = merged_text(original, daemon->adhoc_services());
    CHECK(text.rfind(original, 0) == 0);
    CHECK(text.find("[services.extra]\ncommand = [ \"npx\", \"extra\" ]") != std::string::npos);
    const auto loaded = corral::config::load_config_text(text, dir / "corral.toml");
    REQUIRE_MESSAGE(loaded.config, text);
    REQUIRE(loaded.config->services.size() == 2);
    CHECK(loaded.config->services[1].name == "extra");
    CHECK(loaded.config->services[1].restart == corral::policies::RestartMode::on_failure);
    CHECK(merged_text("[services.web]\ncommand = [\"x\"]", {}).rfind("[services.web]\ncommand = [\"x\"]\n\n", 0) == 0);
}

TEST_CASE("whole_text - a daemon without a file: every service, state_dir only when it is not the default") {
    TempDir dir;
    std::string error;
    auto daemon = read_services(services_reply("", dir / ".corral", dir.path()), error);
    REQUIRE(daemon);
    const std::string beside = whole_text(*daemon, std::nullopt, dir / "corral.toml");
    CHECK(beside.find("[supervisor]") == std::string::npos);
    const auto loaded = corral::config::load_config_text(beside, dir / "corral.toml");
    REQUIRE_MESSAGE(loaded.config, beside);
    CHECK(loaded.config->services.size() == 2);
    const std::string elsewhere = whole_text(*daemon, std::nullopt, dir / "sub/corral.toml");
    CHECK(elsewhere.rfind("[supervisor]\nstate_dir = \"" + (dir / ".corral").string() + "\"\n", 0) == 0);
    // With the daemon's file: its text, and the ad-hoc services after it.
    const std::string copied = whole_text(*daemon, std::string("# mine\n"), dir / "other.toml");
    CHECK(copied.rfind("# mine\n\n# Added", 0) == 0);
}
