// add, delete and services: what parse_request holds for them, what encode_request writes back, and the
// located errors a script gets for a bad service.
#include <doctest/doctest.h>

#include "supervisor/protocol/control_protocol.hpp"
#include "tests/supervisor/protocol/request_outcome.hpp"

using namespace corral::protocol;
using namespace corral::protocol::test;
using namespace std::chrono_literals;

TEST_CASE("add - every argument read into its typed field and written back the same") {
    const std::string line = request(
        "add", R"({"name":"web","command":["node","server.js"],"cwd":"/srv/web","env":{"PORT":"3000"},)"
               R"("instances":2,"restart":"on-failure","wait":true,"timeout_ms":5000})");
    const auto parsed = parse_request(line);
    REQUIRE(std::holds_alternative<Request>(parsed));
    const auto& add = std::get<Add>(std::get<Request>(parsed).command);
    CHECK(add.service == "web");
    CHECK(add.command == std::vector<std::string>{"node", "server.js"});
    CHECK(add.cwd == "/srv/web");
    CHECK(add.env == std::map<std::string, std::string>{{"PORT", "3000"}});
    CHECK(add.instances == 2u);
    CHECK(add.restart == corral::policies::RestartMode::on_failure);
    CHECK(add.waits());
    CHECK(add.timeout == 5000ms);
    const std::string encoded = encode_request(7, add);
    CHECK(parse_request(encoded.substr(0, encoded.size() - 1)).index() == 0);
    CHECK(std::get<Request>(parse_request(encoded.substr(0, encoded.size() - 1))).command == Command{add});

    check_all({
        {request("add", R"({"name":"a","command":["x"],"cwd":"/"})"),
         R"(ok 7 add {"command":["x"],"cwd":"/","name":"a"})"},
        {request("delete", R"({"name":"web"})"), R"(ok 7 delete {"name":"web"})"},
        {request("delete", R"({"name":"web","wait":true,"timeout_ms":10})"),
         R"(ok 7 delete {"name":"web","timeout_ms":10,"wait":true})"},
        {request("services"), R"(ok 7 services {})"},
    });
}

TEST_CASE("add - bad services get errors that name the argument") {
    check_all({
        {request("add", R"({"command":["x"],"cwd":"/"})"),
         R"(error 7 bad_args: missing argument "name" for "add" (expected a service name (1 to 64 letters, digits, '_', '.' or '-', not starting with '.')))"},
        {request("add", R"({"name":"a/b","command":["x"],"cwd":"/"})"),
         R"(error 7 bad_args: "name" must be a service name (1 to 64 letters, digits, '_', '.' or '-', not starting with '.') (got "a/b"))"},
        {request("add", R"({"name":".hidden","command":["x"],"cwd":"/"})"),
         R"(error 7 bad_args: "name" must be a service name (1 to 64 letters, digits, '_', '.' or '-', not starting with '.') (got ".hidden"))"},
        {request("add", R"({"name":"a","command":[],"cwd":"/"})"),
         R"(error 7 bad_args: "command" must be a non-empty array of non-empty strings such as ["node", "server.js"] (got empty array))"},
        {request("add", R"({"name":"a","command":["node",""],"cwd":"/"})"),
         R"(error 7 bad_args: "command" must be a non-empty array of non-empty strings such as ["node", "server.js"] (got array))"},
        {request("add", R"({"name":"a","command":"node app.js","cwd":"/"})"),
         R"(error 7 bad_args: wrong type for "command" (expected a non-empty array of non-empty strings such as ["node", "server.js"], got "node app.js"))"},
        {request("add", R"({"name":"a","command":["x"],"cwd":"srv"})"),
         R"(error 7 bad_args: "cwd" must be an absolute directory path such as "/srv/api" (got "srv"))"},
        {request("add", R"({"name":"a","command":["x"],"cwd":"/","env":{"1X":"y"}})"),
         R"(error 7 bad_args: "env" must be an object of strings such as {"NODE_ENV": "production"} (names of letters, digits and '_', not starting with a digit) (got object))"},
        {request("add", R"({"name":"a","command":["x"],"cwd":"/","instances":0})"),
         R"(error 7 bad_args: "instances" must be an integer from 1 to 1024 (got integer 0))"},
        {request("add", R"({"name":"a","command":["x"],"cwd":"/","instances":"2"})"),
         R"(error 7 bad_args: wrong type for "instances" (expected an integer from 1 to 1024, got "2"))"},
        {request("add", R"({"name":"a","command":["x"],"cwd":"/","restart":"sometimes"})"),
         R"(error 7 bad_args: "restart" must be one of "always", "on-failure" or "never" (got "sometimes"))"},
        {request("add", R"({"name":"a","command":["x"],"cwd":"/","instance":2})"),
         R"(error 7 bad_args: unknown argument "instance" for "add" (did you mean "instances"?))"},
        {request("add", R"({"name":"a","command":["x"],"cwd":"/","timeout_ms":5})"),
         R"(error 7 bad_args: "timeout_ms" is only taken with "wait": true)"},
        {request("delete", R"({"name":"all#1"})"),
         R"(error 7 bad_args: "name" must be a service name (1 to 64 letters, digits, '_', '.' or '-', not starting with '.') (got "all#1"))"},
        {request("delete", "{}"),
         R"(error 7 bad_args: missing argument "name" for "delete" (expected a service name (1 to 64 letters, digits, '_', '.' or '-', not starting with '.')))"},
        {request("services", R"({"name":"a"})"),
         R"(error 7 bad_args: unknown argument "name" for "services" (it takes no arguments))"},
    });
}
