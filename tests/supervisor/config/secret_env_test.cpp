// What `corral describe` shows of an environment, and where a service's table starts in its file.
#include <doctest/doctest.h>

#include "supervisor/config/secret_env.hpp"
#include "supervisor/config/service_line.hpp"

using namespace corral::config;

TEST_CASE("secret env: names that look like secrets have their values masked") {
    for (const char* name : {"API_KEY", "api_key", "GITHUB_TOKEN", "SESSION_SECRET", "DB_PASSWORD", "MYSQL_PASSWD",
                             "AWS_CREDENTIALS", "PRIVATE_PEM", "KeyFile"}) {
        CHECK_MESSAGE(looks_secret(name), name);
    }
    for (const char* name : {"NODE_ENV", "PORT", "PATH", "PWD", "HOME", "LOG_LEVEL"}) CHECK_MESSAGE(!looks_secret(name), name);
    const auto shown = masked_env({{"NODE_ENV", "production"}, {"API_TOKEN", "abc123"}, {"EMPTY_SECRET", ""}});
    CHECK(shown.at("NODE_ENV") == "production");
    CHECK(shown.at("API_TOKEN") == "********");
    CHECK(shown.at("EMPTY_SECRET") == "");  // nothing to hide
}

TEST_CASE("service line: the line of [services.NAME] in the file's text") {
    const std::string text =
        "# my services\n[supervisor]\nstate_dir = \"x\"\n\n[services.web]\ncommand = \"node a.js\"\n"
        "  [ services . \"api\" ]  # the API\ncommand = \"node b.js\"\n[services.web.cooling]\n[services.'jobs']\n";
    CHECK(service_header_line(text, "web") == 5u);
    CHECK(service_header_line(text, "api") == 7u);
    CHECK(service_header_line(text, "jobs") == 10u);
    CHECK_FALSE(service_header_line(text, "we").has_value());
    CHECK_FALSE(service_header_line(text, "cron").has_value());
    CHECK_FALSE(service_header_line("", "web").has_value());
    CHECK_FALSE(service_header_line_in(std::filesystem::path(), "web").has_value());
}
