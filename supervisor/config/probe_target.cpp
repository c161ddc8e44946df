#include "supervisor/config/probe_target.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cstdio>

namespace corral::config {
namespace {

constexpr std::uint16_t kHttpPort = 80;
constexpr std::size_t kMaxHostName = 253;  // DNS: a name of at most 253 characters ...
constexpr std::size_t kMaxLabel = 63;      // ... in labels of at most 63

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

std::string quoted(std::string_view text) { return "\"" + std::string(text) + "\""; }

// A byte as a message shows it: 'x', a space, or its code when it would not show.
std::string describe_byte(char c) {
    if (c == ' ') return "a space";
    if (c > ' ' && c < 0x7f) return std::string("'") + c + "'";
    char code[16];
    std::snprintf(code, sizeof code, "byte 0x%02x", static_cast<unsigned char>(c));
    return code;
}

bool fail(std::string& error, std::string message) {
    error = std::move(message);
    return false;
}

bool parse_port(std::string_view digits, std::uint16_t& port, std::string& error) {
    if (digits.empty()) return fail(error, "missing port after ':'");
    if (!std::all_of(digits.begin(), digits.end(), is_digit)) {
        return fail(error, "port " + quoted(digits) + " is not a number");
    }
    std::uint32_t value = 0;
    for (const char c : digits) {
        value = value * 10 + static_cast<std::uint32_t>(c - '0');
        if (value > 65535) break;
    }
    if (value == 0 || value > 65535) return fail(error, "port " + std::string(digits) + " is out of range (1-65535)");
    port = static_cast<std::uint16_t>(value);
    return true;
}

bool check_ipv6(std::string_view address, std::string& error) {
    in6_addr parsed{};
    if (address.empty()) return fail(error, "missing IPv6 address between '[' and ']'");
    if (::inet_pton(AF_INET6, std::string(address).c_str(), &parsed) != 1) {
        return fail(error, quoted(address) + " is not an IPv6 address");
    }
    return true;
}

// A host name ("localhost", "api.internal", "my_service") or a dotted IPv4 address.
bool check_host_name(std::string_view host, std::string& error) {
    if (host.empty()) return fail(error, "missing host");
    if (host.find(':') != std::string_view::npos) {
        return fail(error, "an IPv6 address is written in brackets, as in [::1]:3000");
    }
    for (const char c : host) {
        if (!is_alpha(c) && !is_digit(c) && c != '-' && c != '.' && c != '_') {
            return fail(error, "host " + quoted(host) + " holds " + describe_byte(c));
        }
    }
    if (std::all_of(host.begin(), host.end(), [](char c) { return is_digit(c) || c == '.'; })) {
        in_addr parsed{};
        if (::inet_pton(AF_INET, std::string(host).c_str(), &parsed) != 1) {
            return fail(error, quoted(host) + " is not an IPv4 address");
        }
        return true;
    }
    if (host.size() > kMaxHostName) return fail(error, "host name longer than 253 characters");
    std::string_view rest = host.back() == '.' ? host.substr(0, host.size() - 1) : host;  // "name." is absolute
    for (std::size_t start = 0;;) {
        const std::size_t dot = std::min(rest.find('.', start), rest.size());
        const std::size_t length = dot - start;
        if (length == 0) {
            return fail(error, "host " + quoted(host) + " has an empty label (two dots, or a leading one)");
        }
        if (length > kMaxLabel) return fail(error, "host " + quoted(host) + " has a label longer than 63 characters");
        if (dot == rest.size()) return true;
        start = dot + 1;
    }
}

// HOST:PORT, [IPV6]:PORT, or without ":PORT" when `default_port` is given.
bool parse_authority(std::string_view text, std::optional<std::uint16_t> default_port, ProbeTarget& target,
                     std::string& error) {
    std::string_view host;
    std::string_view after;  // what follows the host: "" or ":PORT"
    if (!text.empty() && text.front() == '[') {
        const std::size_t close = text.find(']');
        if (close == std::string_view::npos) return fail(error, "missing ']' after the IPv6 address");
        host = text.substr(1, close - 1);
        if (!check_ipv6(host, error)) return false;
        after = text.substr(close + 1);
        if (!after.empty() && after.front() != ':') {
            return fail(error, "expected ':' and a port after ']', saw " + quoted(after));
        }
    } else {
        const std::size_t colon = text.rfind(':');
        host = text.substr(0, colon == std::string_view::npos ? text.size() : colon);
        if (colon != std::string_view::npos) after = text.substr(colon);
        if (host.empty() && !after.empty()) return fail(error, "missing host before ':'");
        if (!check_host_name(host, error)) return false;
    }
    if (after.empty()) {
        if (!default_port) return fail(error, "missing port: expected HOST:PORT, such as 127.0.0.1:3000");
        target.port = *default_port;
    } else if (!parse_port(after.substr(1), target.port, error)) {
        return false;
    }
    target.host = std::string(host);
    return true;
}

// The path and query of an http target go into the request line as they are.
bool check_request_target(std::string_view path, std::string& error) {
    for (const char c : path) {
        if (c <= ' ' || c >= 0x7f) {
            return fail(error, "the path may not hold " + describe_byte(c) + " (write it %-encoded, a space as %20)");
        }
    }
    return true;
}

std::string lowercase(std::string_view text) {
    std::string lower(text);
    for (char& c : lower) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    return lower;
}

}  // namespace

bool ProbeTarget::ipv6_literal() const { return host.find(':') != std::string::npos; }

std::string ProbeTarget::authority() const {
    std::string text = ipv6_literal() ? "[" + host + "]" : host;
    if (kind == Kind::tcp || port != kHttpPort) text += ":" + std::to_string(port);
    return text;
}

std::string ProbeTarget::text() const {
    if (kind == Kind::tcp) return authority();
    return "http://" + authority() + path;
}

std::optional<ProbeTarget> parse_tcp_target(std::string_view text, std::string& error) {
    if (text.empty()) {
        error = "the address is empty: expected HOST:PORT, such as 127.0.0.1:3000";
        return std::nullopt;
    }
    if (text.find("://") != std::string_view::npos) {
        error = "expected HOST:PORT, such as 127.0.0.1:3000, not a URL (a URL is checked with http = \"...\")";
        return std::nullopt;
    }
    ProbeTarget target;
    target.kind = ProbeTarget::Kind::tcp;
    if (!parse_authority(text, std::nullopt, target, error)) return std::nullopt;
    return target;
}

std::optional<ProbeTarget> parse_http_target(std::string_view text, std::string& error) {
    const std::size_t scheme_end = text.find("://");
    if (scheme_end == std::string_view::npos) {
        error = "expected a URL starting with http://, such as http://127.0.0.1:3000/health";
        return std::nullopt;
    }
    const std::string scheme = lowercase(text.substr(0, scheme_end));
    if (scheme == "https") {
        error = "https is not supported for readiness; probe the plain port or use tcp";
        return std::nullopt;
    }
    if (scheme != "http") {
        error = "expected a URL starting with http://, not " + std::string(text.substr(0, scheme_end)) + "://";
        return std::nullopt;
    }
    const std::string_view rest = text.substr(scheme_end + 3);
    const std::size_t authority_end = std::min(rest.find_first_of("/?#"), rest.size());
    const std::string_view authority = rest.substr(0, authority_end);
    std::string_view path = rest.substr(authority_end);
    if (authority.empty()) {
        error = "missing host after http://";
        return std::nullopt;
    }
    if (authority.find('@') != std::string_view::npos) {
        error = "a user or password in the URL (user@host) is not supported";
        return std::nullopt;
    }
    if (path.find('#') != std::string_view::npos) {
        error = "a #fragment is never sent to the server: remove it";
        return std::nullopt;
    }
    ProbeTarget target;
    target.kind = ProbeTarget::Kind::http;
    if (!parse_authority(authority, kHttpPort, target, error) || !check_request_target(path, error)) {
        return std::nullopt;
    }
    target.path = path.empty() || path.front() == '?' ? "/" + std::string(path) : std::string(path);
    return target;
}

}  // namespace corral::config
