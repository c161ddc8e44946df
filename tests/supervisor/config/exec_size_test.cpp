// Commands and environments the kernel would refuse at exec (E2BIG) are refused when the file is loaded,
// at the place of the offending value.
#include "supervisor/config/exec_size.hpp"

#include <doctest/doctest.h>
#include <unistd.h>

#include <string>

#include "tests/support/config_loading.hpp"

using corral::test::Messages;
using corral::test::errors_of;

namespace {

std::string big(std::size_t bytes) { return std::string(bytes, 'x'); }

// The errors of `text` (t.toml) checked against `limits` instead of this machine's.
Messages errors_with(const std::string& text, const corral::config::ExecLimits& limits) {
    const toml::table document = toml::parse(std::string_view(text), std::string_view("t.toml"));
    const toml::table& service = *document["services"]["api"].as_table();
    corral::config::ServiceSpec spec;
    for (const auto& arg : *service["command"].as_array()) spec.command.push_back(arg.value_or(std::string()));
    if (const toml::table* env = service["env"].as_table()) {
        for (const auto& [key, value] : *env) spec.env.emplace(std::string(key.str()), value.value_or(std::string()));
    }
    corral::config::Diagnostics diagnostics("t.toml");
    corral::config::check_exec_size(diagnostics, service, "services.api", spec, limits);
    return corral::test::messages(diagnostics.take_sorted());
}

}  // namespace

TEST_CASE("exec size: one argument longer than MAX_ARG_STRLEN is refused at its place") {
    const Messages errors = errors_of("[services.api]\ncommand = [\"node\", \"" + big(140'000) + "\"]\n");
    REQUIRE(errors.size() == 1);
    CHECK(errors[0].starts_with("t.toml:2:20: services.api.command[1] is 140001 bytes long with its NUL; the kernel "
                                "refuses one argument or environment string over 131072 bytes (MAX_ARG_STRLEN)"));
    CHECK(errors[0].find("Argument list too long") != std::string::npos);
}

TEST_CASE("exec size: an environment value too long for one string is refused at its key") {
    const Messages errors =
        errors_of("[services.api]\ncommand = [\"node\"]\nenv = { SMALL = \"1\", HUGE = \"" + big(131'072) + "\" }\n");
    REQUIRE(errors.size() == 1);
    CHECK(errors[0].starts_with("t.toml:3:29: services.api.env.HUGE (as NAME=value) is 131078 bytes long"));
}

TEST_CASE("exec size: a shell command line too long is refused at the command") {
    const Messages errors = errors_of("[services.api]\nshell = true\ncommand = \"echo " + big(131'072) + "\"\n");
    REQUIRE(errors.size() == 1);
    CHECK(errors[0].starts_with("t.toml:3:11: services.api.command is 131078 bytes long"));
}

TEST_CASE("exec size: arguments and environment together beyond ARG_MAX are refused at the command") {
    // Twenty arguments of 120 000 bytes each: every one is allowed, together they pass 2 MiB.
    std::string argv = "\"node\"";
    for (int i = 0; i < 20; ++i) argv += ", \"" + big(120'000) + "\"";
    const auto arg_max = static_cast<std::size_t>(::sysconf(_SC_ARG_MAX));
    const Messages errors = errors_of("[services.api]\ncommand = [" + argv + "]\n");
    if (arg_max > 20 * 120'000) {
        MESSAGE("ARG_MAX is " << arg_max << " here (a large stack limit): checked with a smaller one below");
    } else {
        REQUIRE(errors.size() == 1);
        CHECK(errors[0].starts_with("t.toml:2:11: the command and environment of [services.api] take about 2.3MiB"));
        CHECK(errors[0].find("sysconf(ARG_MAX)") != std::string::npos);
    }
}

TEST_CASE("exec size: the total counts what the service inherits and each string's NUL and pointer") {
    const std::string text = "[services.api]\ncommand = [\"node\", \"" + big(1000) + "\"]\nenv = { A = \"" + big(1000) + "\" }\n";
    // node\0 (5) + 1001 + A=...\0 (1003), a pointer to each and argv's NULL (the environment's is
    // counted in `inherited`).
    const std::size_t needed = 2009 + 4 * sizeof(char*);
    CHECK(errors_with(text, {.arg_max = needed + 100, .max_arg_strlen = 131'072, .inherited = 100}) == Messages{});
    const Messages over = errors_with(text, {.arg_max = needed + 99, .max_arg_strlen = 131'072, .inherited = 100});
    REQUIRE(over.size() == 1);
    CHECK(over[0].starts_with("t.toml:2:11: the command and environment of [services.api] take about 2.1KiB"));
    CHECK(errors_with(text, {.arg_max = 1 << 20, .max_arg_strlen = 1000, .inherited = 0}).size() == 2);
    CHECK(errors_with(text, {.arg_max = 1 << 20, .max_arg_strlen = 1003, .inherited = 0}) == Messages{});
}

TEST_CASE("exec size: ordinary services pass, with this machine's limits") {
    CHECK(errors_of("[services.api]\ncommand = [\"node\", \"server.js\"]\nenv = { NODE_ENV = \"production\" }\n") ==
          Messages{});
    const corral::config::ExecLimits here = corral::config::exec_limits_here();
    CHECK(here.max_arg_strlen == 131'072);
    CHECK(here.arg_max >= 131'072);
    CHECK(here.inherited > 16 * 1024);
}
