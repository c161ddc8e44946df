#include "supervisor/config/metrics_fields.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <charconv>
#include <string>
#include <string_view>

namespace corral::config {
namespace {

constexpr std::string_view kExpected = "an address such as \"127.0.0.1:9464\" or \"[::1]:9464\" (port 0: any free port)";

// The address in `text`, or what is wrong with it in `problem`.
std::optional<MetricsAddress> parse(std::string_view text, std::string& problem) {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) {
        problem = "the port is missing";
        return std::nullopt;
    }
    const std::string_view port_text = text.substr(colon + 1);
    std::string_view host = text.substr(0, colon);
    unsigned port = 0;
    const auto [end, error] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (port_text.empty() || error != std::errc() || end != port_text.data() + port_text.size() || port > 65535) {
        problem = "the port must be a number from 0 to 65535";
        return std::nullopt;
    }
    const bool bracketed = host.size() > 2 && host.front() == '[' && host.back() == ']';
    if (bracketed) host = host.substr(1, host.size() - 2);
    if (host.empty()) {
        problem = "the host is missing (\"127.0.0.1:PORT\" for this machine only, \"0.0.0.0:PORT\" for every interface)";
        return std::nullopt;
    }
    unsigned char buffer[sizeof(in6_addr)];
    const std::string host_text(host);
    if (inet_pton(bracketed ? AF_INET6 : AF_INET, host_text.c_str(), buffer) != 1) {
        problem = "\"" + host_text + "\" is not an " + (bracketed ? "IPv6" : "IPv4") +
                  " address" + (bracketed ? "" : " (IPv6 goes in brackets: \"[::1]:9464\"; host names are not resolved)");
        return std::nullopt;
    }
    return MetricsAddress{host_text, static_cast<std::uint16_t>(port)};
}

}  // namespace

void read_metrics(Diagnostics& diagnostics, TableReader& supervisor, std::optional<MetricsAddress>& out) {
    const toml::node* value = supervisor.take("metrics");
    if (value == nullptr) return;
    const auto* text = value->as_string();
    if (text == nullptr) {
        diagnostics.error(*value, invalid("value", supervisor.path_of("metrics"), kExpected, *value));
        return;
    }
    std::string problem;
    if (auto address = parse(text->get(), problem)) {
        out = std::move(*address);
        return;
    }
    diagnostics.error(*value, "invalid address for " + supervisor.path_of("metrics") + ": " + problem + " (expected " +
                                  std::string(kExpected) + ", got " + describe(*value) + ")");
}

}  // namespace corral::config
