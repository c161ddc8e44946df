// The targets of the tcp and http readiness checks: what is accepted, how it reads back, and what each
// refusal says.
#include "supervisor/config/probe_target.hpp"

#include <doctest/doctest.h>

#include <string>
#include <string_view>

using corral::config::parse_http_target;
using corral::config::parse_tcp_target;
using corral::config::ProbeTarget;

namespace {

ProbeTarget tcp(std::string host, std::uint16_t port) { return {ProbeTarget::Kind::tcp, std::move(host), port, ""}; }
ProbeTarget http(std::string host, std::uint16_t port, std::string path) {
    return {ProbeTarget::Kind::http, std::move(host), port, std::move(path)};
}

struct Good {
    std::string_view text;
    ProbeTarget expected;
    std::string_view reads_back;
};

struct Bad {
    std::string_view text;
    std::string_view error;
};

}  // namespace

TEST_CASE("tcp targets: addresses, bracketed IPv6 and host names with a port") {
    const Good cases[] = {
        {"127.0.0.1:3000", tcp("127.0.0.1", 3000), "127.0.0.1:3000"},
        {"0.0.0.0:1", tcp("0.0.0.0", 1), "0.0.0.0:1"},
        {"[::1]:3000", tcp("::1", 3000), "[::1]:3000"},
        {"[fe80::1:2]:65535", tcp("fe80::1:2", 65535), "[fe80::1:2]:65535"},
        {"[::ffff:127.0.0.1]:80", tcp("::ffff:127.0.0.1", 80), "[::ffff:127.0.0.1]:80"},
        {"localhost:3000", tcp("localhost", 3000), "localhost:3000"},
        {"api.internal:8080", tcp("api.internal", 8080), "api.internal:8080"},
        {"my_service-2:9000", tcp("my_service-2", 9000), "my_service-2:9000"},
        {"localhost.:3000", tcp("localhost.", 3000), "localhost.:3000"},
        {"localhost:03000", tcp("localhost", 3000), "localhost:3000"},
    };
    for (const Good& c : cases) {
        CAPTURE(c.text);
        std::string error;
        const auto target = parse_tcp_target(c.text, error);
        REQUIRE_MESSAGE(target.has_value(), error);
        CHECK(*target == c.expected);
        CHECK(target->text() == c.reads_back);
    }
}

TEST_CASE("tcp targets: every refusal says what is wrong") {
    const Bad cases[] = {
        {"", "the address is empty: expected HOST:PORT, such as 127.0.0.1:3000"},
        {"localhost", "missing port: expected HOST:PORT, such as 127.0.0.1:3000"},
        {"127.0.0.1", "missing port: expected HOST:PORT, such as 127.0.0.1:3000"},
        {"[::1]", "missing port: expected HOST:PORT, such as 127.0.0.1:3000"},
        {"localhost:", "missing port after ':'"},
        {":3000", "missing host before ':'"},
        {"localhost:70000", "port 70000 is out of range (1-65535)"},
        {"localhost:0", "port 0 is out of range (1-65535)"},
        {"localhost:99999999999999999999999", "port 99999999999999999999999 is out of range (1-65535)"},
        {"localhost:3k", "port \"3k\" is not a number"},
        {"localhost:-1", "port \"-1\" is not a number"},
        {"localhost: 3000", "port \" 3000\" is not a number"},
        {"::1:3000", "an IPv6 address is written in brackets, as in [::1]:3000"},
        {"[::1:3000", "missing ']' after the IPv6 address"},
        {"[]:3000", "missing IPv6 address between '[' and ']'"},
        {"[::g]:3000", "\"::g\" is not an IPv6 address"},
        {"[127.0.0.1]:3000", "\"127.0.0.1\" is not an IPv6 address"},
        {"[::1]3000", "expected ':' and a port after ']', saw \"3000\""},
        {"127.0.0.256:3000", "\"127.0.0.256\" is not an IPv4 address"},
        {"127.1:3000", "\"127.1\" is not an IPv4 address"},
        {"local host:3000", "host \"local host\" holds a space"},
        {"api/v1:3000", "host \"api/v1\" holds '/'"},
        {"a..b:3000", "host \"a..b\" has an empty label (two dots, or a leading one)"},
        {".a:3000", "host \".a\" has an empty label (two dots, or a leading one)"},
        {"http://127.0.0.1:3000",
         "expected HOST:PORT, such as 127.0.0.1:3000, not a URL (a URL is checked with http = \"...\")"},
    };
    for (const Bad& c : cases) {
        CAPTURE(c.text);
        std::string error;
        CHECK_FALSE(parse_tcp_target(c.text, error).has_value());
        CHECK(error == c.error);
    }
}

TEST_CASE("tcp targets: a control byte, a long label and a long name are refused") {
    std::string error;
    CHECK_FALSE(parse_tcp_target(std::string_view("local\nhost:1", 12), error));
    CHECK(error == "host \"local\nhost\" holds byte 0x0a");
    CHECK_FALSE(parse_tcp_target(std::string(64, 'a') + ":1", error));
    CHECK(error == "host \"" + std::string(64, 'a') + "\" has a label longer than 63 characters");
    std::string long_name;
    for (int i = 0; i < 30; ++i) long_name += "abcdefghi.";
    CHECK_FALSE(parse_tcp_target(long_name + ":1", error));
    CHECK(error == "host name longer than 253 characters");
    CHECK(parse_tcp_target(std::string(63, 'a') + ":1", error));
}

TEST_CASE("http targets: host, default port 80, path and query") {
    const Good cases[] = {
        {"http://127.0.0.1:3000/health", http("127.0.0.1", 3000, "/health"), "http://127.0.0.1:3000/health"},
        {"http://127.0.0.1:3000", http("127.0.0.1", 3000, "/"), "http://127.0.0.1:3000/"},
        {"http://127.0.0.1:3000/", http("127.0.0.1", 3000, "/"), "http://127.0.0.1:3000/"},
        {"http://localhost/health", http("localhost", 80, "/health"), "http://localhost/health"},
        {"http://localhost:80/health", http("localhost", 80, "/health"), "http://localhost/health"},
        {"http://[::1]:3000/ready?deep=1&x=%20", http("::1", 3000, "/ready?deep=1&x=%20"),
         "http://[::1]:3000/ready?deep=1&x=%20"},
        {"http://[::1]/", http("::1", 80, "/"), "http://[::1]/"},
        {"http://localhost:3000?deep=1", http("localhost", 3000, "/?deep=1"), "http://localhost:3000/?deep=1"},
        {"HTTP://api.internal:8080/a/b/c", http("api.internal", 8080, "/a/b/c"), "http://api.internal:8080/a/b/c"},
    };
    for (const Good& c : cases) {
        CAPTURE(c.text);
        std::string error;
        const auto target = parse_http_target(c.text, error);
        REQUIRE_MESSAGE(target.has_value(), error);
        CHECK(*target == c.expected);
        CHECK(target->text() == c.reads_back);
    }
}

TEST_CASE("http targets: the Host header's form of the authority") {
    std::string error;
    CHECK(parse_http_target("http://localhost/health", error)->authority() == "localhost");
    CHECK(parse_http_target("http://localhost:3000/health", error)->authority() == "localhost:3000");
    CHECK(parse_http_target("http://[::1]:3000/health", error)->authority() == "[::1]:3000");
    CHECK(parse_http_target("http://[::1]/health", error)->authority() == "[::1]");
    CHECK(parse_tcp_target("127.0.0.1:80", error)->authority() == "127.0.0.1:80");
}

TEST_CASE("http targets: every refusal says what is wrong") {
    const Bad cases[] = {
        {"", "expected a URL starting with http://, such as http://127.0.0.1:3000/health"},
        {"127.0.0.1:3000/health", "expected a URL starting with http://, such as http://127.0.0.1:3000/health"},
        {"https://127.0.0.1:3000/health", "https is not supported for readiness; probe the plain port or use tcp"},
        {"HTTPS://127.0.0.1/", "https is not supported for readiness; probe the plain port or use tcp"},
        {"ftp://127.0.0.1/", "expected a URL starting with http://, not ftp://"},
        {"http://", "missing host after http://"},
        {"http:///health", "missing host after http://"},
        {"http://:3000/health", "missing host before ':'"},
        {"http://localhost:/health", "missing port after ':'"},
        {"http://localhost:70000/health", "port 70000 is out of range (1-65535)"},
        {"http://localhost:http/", "port \"http\" is not a number"},
        {"http://[::1/health", "missing ']' after the IPv6 address"},
        {"http://::1/health", "an IPv6 address is written in brackets, as in [::1]:3000"},
        {"http://user:secret@localhost/", "a user or password in the URL (user@host) is not supported"},
        {"http://localhost/health#top", "a #fragment is never sent to the server: remove it"},
        {"http://localhost/he alth", "the path may not hold a space (write it %-encoded, a space as %20)"},
        {"http://localhost/h\xc3\xa9", "the path may not hold byte 0xc3 (write it %-encoded, a space as %20)"},
        {"http://local_host!/", "host \"local_host!\" holds '!'"},
    };
    for (const Bad& c : cases) {
        CAPTURE(c.text);
        std::string error;
        CHECK_FALSE(parse_http_target(c.text, error).has_value());
        CHECK(error == c.error);
    }
}
