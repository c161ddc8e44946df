// A service's listening sockets: the address forms, names, backlog and unix socket settings; then files
// that are rejected with the exact messages a user sees.
#include <doctest/doctest.h>

#include <string_view>

#include "supervisor/config/load_config.hpp"
#include "tests/support/config_loading.hpp"

using corral::config::Config;
using corral::config::ListenSpec;

using corral::test::Messages;
using corral::test::errors_of;
using corral::test::load_text_ok;
using corral::test::service;

namespace {

ListenSpec listen_of(std::string_view extra) {
    const Config config = load_text_ok(service(extra));
    REQUIRE(config.services.size() == 1);
    return config.services[0].listen;
}

}  // namespace

TEST_CASE("listen takes IPv4, bracketed IPv6, every-address ports and unix paths, in file order") {
    const ListenSpec spec = listen_of(
        "listen = [\"0.0.0.0:3000\", \"[::1]:3001\", \":3002\", 3003, \"unix:run/web.sock\", "
        "{ address = \"127.0.0.1:9000\", name = \"admin\" }]\n");
    REQUIRE(spec.addresses.size() == 6);
    CHECK(spec.addresses[0].text == "0.0.0.0:3000");
    CHECK(spec.addresses[0].host == "0.0.0.0");
    CHECK(spec.addresses[0].port == 3000);
    CHECK(spec.addresses[1].text == "[::1]:3001");
    CHECK(spec.addresses[1].host == "::1");
    CHECK(spec.addresses[2].text == "[::]:3002");
    CHECK(spec.addresses[2].any);
    CHECK(!spec.addresses[2].v6only);
    CHECK(spec.addresses[3].text == "[::]:3003");
    CHECK(spec.addresses[4].text == "unix:/srv/app/run/web.sock");
    CHECK(!spec.addresses[4].tcp());
    CHECK(spec.addresses[0].name == "api");  // the service's name, as systemd names a unit's sockets
    CHECK(spec.addresses[5].name == "admin");
    CHECK(spec.backlog == 511);
    CHECK(spec.adopt);
    CHECK(spec.addresses[0].line == 3);
    CHECK(spec.addresses[0].column == 11);
}

TEST_CASE("[::] beside 0.0.0.0 on the same port takes IPv6 only") {
    const ListenSpec spec = listen_of("listen = [\"0.0.0.0:3000\", \"[::]:3000\", \"[::]:3001\"]\n");
    CHECK(spec.addresses[1].v6only);
    CHECK(!spec.addresses[2].v6only);
}

TEST_CASE("backlog, socket and listen_adopt") {
    const ListenSpec spec = listen_of(
        "listen = [\"unix:/run/web.sock\"]\nbacklog = 1024\nsocket = { mode = \"0660\", user = \"root\", group = \"root\" }\n"
        "listen_adopt = false\n");
    CHECK(spec.backlog == 1024);
    CHECK(spec.mode == 0660);
    CHECK(spec.user == 0u);
    CHECK(spec.group == 0u);
    CHECK(!spec.adopt);
}

TEST_CASE("bad listen addresses and settings are reported where they are") {
    CHECK(errors_of(service("listen = \"0.0.0.0:3000\"\n")) ==
          Messages{"t.toml:3:10: invalid value for services.api.listen (expected an array of addresses such as "
                   "[\"0.0.0.0:3000\"], got \"0.0.0.0:3000\")"});
    CHECK(errors_of(service("listen = [\"0.0.0.0:70000\"]\n")) ==
          Messages{"t.toml:3:11: invalid address for services.api.listen[0]: the port must be a number from 1 to "
                   "65535 (expected an address such as \"0.0.0.0:3000\", \"[::]:3000\", \":3000\" or "
                   "\"unix:/run/app/web.sock\", got \"0.0.0.0:70000\")"});
    CHECK(errors_of(service("listen = [\"localhost:3000\"]\n")).at(0).find(
              "\"localhost\" is not an IPv4 address (IPv6 goes in brackets: \"[::1]:3000\"; host names are not resolved)") !=
          std::string::npos);
    CHECK(errors_of(service("listen = [\"[zz]:3000\"]\n")).at(0).find("\"zz\" is not an IPv6 address") != std::string::npos);
    CHECK(errors_of(service("listen = [\"unix:\"]\n")).at(0).find("the socket's path is missing") != std::string::npos);
    CHECK(errors_of(service("listen = [\"1.2.3.4\"]\n")).at(0).find("the port must be a number") != std::string::npos);
    CHECK(errors_of(service("listen = [\"unix:/" + std::string(120, 'x') + "\"]\n")).at(0).find("longer than 107 bytes") !=
          std::string::npos);
    CHECK(errors_of(service("listen = [3000, \":3000\"]\n")) ==
          Messages{"t.toml:3:17: duplicate address \"[::]:3000\" in services.api.listen (first at line 3)"});
    CHECK(errors_of(service("listen = [{ address = \"127.0.0.1:1\", name = \"a:b\" }]\n")).at(0).find(
              "invalid value for services.api.listen[0].name") != std::string::npos);
    CHECK(errors_of(service("listen = [{ name = \"x\" }]\n")).at(0).find("missing required key \"address\"") !=
          std::string::npos);
    CHECK(errors_of(service("backlog = 0\n")).size() == 1);
    CHECK(errors_of(service("socket = { mode = \"999\" }\n")).at(0).find("an octal mode such as \"0660\"") !=
          std::string::npos);
    CHECK(errors_of(service("socket = { user = \"no-such-user-here\" }\n")) ==
          Messages{"t.toml:3:19: invalid value for services.api.socket.user: no user \"no-such-user-here\" on this machine"});
}

TEST_CASE("an address belongs to one service") {
    CHECK(errors_of("[services.a]\ncommand = [\"node\"]\nlisten = [\"127.0.0.1:3000\"]\n"
                    "[services.b]\ncommand = [\"node\"]\nlisten = [\"127.0.0.1:3000\"]\n") ==
          Messages{"t.toml:6:11: address \"127.0.0.1:3000\" of service \"b\" is already listed by service \"a\" (a "
                   "socket belongs to one service; its instances share it)"});
}
