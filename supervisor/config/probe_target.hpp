#pragma once
// The targets of the readiness checks the daemon makes itself: `ready = { tcp = "127.0.0.1:3000" }` and
// `ready = { http = "http://127.0.0.1:3000/health" }`. Pure parsing; strict, like the rest of the service
// file: what is not understood is refused with a message that says what is wrong ("port 70000 is out of
// range (1-65535)"), for the loader to place at the line and column of the value.
//
//   tcp:  HOST:PORT, where HOST is an IPv4 address ("127.0.0.1"), an IPv6 address in brackets ("[::1]")
//         or a host name ("localhost", "api.internal"); PORT is 1-65535
//   http: http://HOST[:PORT][/PATH][?QUERY], the port 80 when none is written, the path "/" when none is.
//         Plain HTTP only (the daemon does not speak TLS); no user:password@, no #fragment; the path and
//         query are sent as written, so they may not hold spaces, controls or non-ASCII bytes (write them
//         %-encoded)
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace corral::config {

struct ProbeTarget {
    enum class Kind { tcp, http };
    Kind kind = Kind::tcp;
    std::string host;        // without brackets: "127.0.0.1", "::1", "localhost"
    std::uint16_t port = 0;
    std::string path;        // http: "/health", "/health?deep=1"; "/" when none is written. tcp: empty

    bool operator==(const ProbeTarget&) const = default;

    // The target in one form, for logs and status: as written, except that http's default port is left out
    // and its default path written: "127.0.0.1:3000", "[::1]:3000", "http://localhost:3000/health",
    // "http://api.internal/".
    std::string text() const;
    // HOST[:PORT] as a URL or an HTTP Host header writes it: the brackets of an IPv6 address, the port left
    // out where it is http's default (80).
    std::string authority() const;
    // True when `host` is a numeric IPv6 address (written in brackets).
    bool ipv6_literal() const;
};

// Each returns the target, or std::nullopt with `error` saying what is wrong with `text`.
std::optional<ProbeTarget> parse_tcp_target(std::string_view text, std::string& error);
std::optional<ProbeTarget> parse_http_target(std::string_view text, std::string& error);

}  // namespace corral::config
