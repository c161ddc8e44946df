#include <doctest/doctest.h>

#include "supervisor/cli/up_command.hpp"

using corral::supervisor::name_from_command;

TEST_CASE("corral run: the service name comes from what the command runs") {
    CHECK(name_from_command({"npx", "my-app", "--port", "3000"}) == "my-app");
    CHECK(name_from_command({"node", "server.js"}) == "server");
    CHECK(name_from_command({"node", "--max-old-space-size=64", "/srv/api/index.mjs"}) == "index");
    CHECK(name_from_command({"/usr/bin/python3", "-m", "http.server"}) == "python3");
    CHECK(name_from_command({"node"}) == "node");
    CHECK(name_from_command({"npx", "@scope/pkg"}) == "pkg");
    CHECK(name_from_command({"./my app!"}) == "my-app-");
    CHECK(name_from_command({"node", ".hidden.js"}) == "hidden");
    CHECK(name_from_command({"--", "-"}) == "app");
}
