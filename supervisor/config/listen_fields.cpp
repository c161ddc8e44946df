#include "supervisor/config/listen_fields.hpp"

#include <arpa/inet.h>
#include <grp.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/un.h>

#include <charconv>
#include <map>
#include <optional>

#include "supervisor/config/service_fields.hpp"

namespace corral::config {
namespace {

constexpr std::string_view kEntryKeys[] = {"address", "name"};
constexpr std::string_view kSocketKeys[] = {"mode", "user", "group"};
constexpr std::string_view kAddressExample =
    "an address such as \"0.0.0.0:3000\", \"[::]:3000\", \":3000\" or \"unix:/run/app/web.sock\"";
constexpr std::size_t kMaxUnixPath = sizeof(sockaddr_un::sun_path) - 1;
constexpr std::size_t kMaxFdName = 255;

std::optional<std::uint16_t> parse_port(std::string_view text) {
    unsigned value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size() || value == 0 || value > 65535) return std::nullopt;
    return static_cast<std::uint16_t>(value);
}

bool is_ip(int family, const std::string& host) {
    unsigned char buffer[sizeof(in6_addr)];
    return inet_pton(family, host.c_str(), buffer) == 1;
}

// The address `text` as a ListenAddress, or what is wrong with it.
std::optional<ListenAddress> parse_address(std::string_view text, const std::filesystem::path& base_dir,
                                           std::string& problem) {
    ListenAddress address;
    if (text.starts_with("unix:")) {
        const std::string_view path = text.substr(5);
        if (path.empty()) {
            problem = "the socket's path is missing after \"unix:\"";
            return std::nullopt;
        }
        address.path = resolve_path(base_dir, path);
        if (address.path.string().size() > kMaxUnixPath) {
            problem = "the socket's path " + address.path.string() + " is longer than " +
                      std::to_string(kMaxUnixPath) + " bytes";
            return std::nullopt;
        }
        address.text = "unix:" + address.path.string();
        return address;
    }
    const auto colon = text.rfind(':');
    const std::string_view port_text = colon == std::string_view::npos ? text : text.substr(colon + 1);
    const std::string_view host_text = colon == std::string_view::npos ? std::string_view() : text.substr(0, colon);
    const auto port = parse_port(port_text);
    if (!port) {
        problem = port_text.empty() ? "the port is missing" : "the port must be a number from 1 to 65535";
        return std::nullopt;
    }
    address.port = *port;
    if (host_text.empty()) {
        address.any = true;
        address.host = "::";
    } else if (host_text.size() > 2 && host_text.front() == '[' && host_text.back() == ']') {
        address.host = std::string(host_text.substr(1, host_text.size() - 2));
        if (!is_ip(AF_INET6, address.host)) {
            problem = "\"" + address.host + "\" is not an IPv6 address";
            return std::nullopt;
        }
    } else {
        address.host = std::string(host_text);
        if (!is_ip(AF_INET, address.host)) {
            problem = "\"" + address.host + "\" is not an IPv4 address (IPv6 goes in brackets: \"[::1]:3000\"; " +
                      "host names are not resolved)";
            return std::nullopt;
        }
    }
    address.text = address.host.find(':') != std::string::npos
                       ? "[" + address.host + "]:" + std::to_string(address.port)
                       : address.host + ":" + std::to_string(address.port);
    return address;
}

bool valid_fd_name(std::string_view name) {
    if (name.empty() || name.size() > kMaxFdName) return false;
    for (const char c : name) {
        if (c < 0x21 || c > 0x7e || c == ':') return false;
    }
    return true;
}

// One entry of `listen`: a string, a port number, or { address, name }.
std::optional<ListenAddress> read_entry(Diagnostics& diagnostics, const toml::node& entry, const std::string& path,
                                        const std::filesystem::path& base_dir) {
    std::string text;
    std::string name;
    const toml::node* value = &entry;
    if (const auto* table = entry.as_table()) {
        TableReader reader(diagnostics, *table, path, kEntryKeys);
        value = reader.take("address");
        if (value == nullptr) {
            diagnostics.error(entry, "missing required key \"address\" in " + path + " (expected " +
                                         std::string(kAddressExample) + ")");
        }
        if (reader.read_string("name", "a name without ':' such as \"http\"", name) == Field::valid &&
            !valid_fd_name(name)) {
            diagnostics.error(*table->get("name"), invalid("value", reader.path_of("name"),
                                                           "printable ASCII without ':' or spaces, at most 255 "
                                                           "characters (systemd's rule for LISTEN_FDNAMES)",
                                                           *table->get("name")));
        }
        reader.finish();
        if (value == nullptr) return std::nullopt;
    }
    if (const auto* integer = value->as_integer()) {
        text = std::to_string(integer->get());
    } else if (const auto* string = value->as_string()) {
        text = string->get();
    } else {
        diagnostics.error(*value, invalid("value", path, kAddressExample, *value));
        return std::nullopt;
    }
    std::string problem;
    std::optional<ListenAddress> address = parse_address(text, base_dir, problem);
    if (!address) {
        diagnostics.error(*value, "invalid address for " + path + ": " + problem + " (expected " +
                                      std::string(kAddressExample) + ", got " + describe(*value) + ")");
        return std::nullopt;
    }
    address->name = name;
    address->line = value->source().begin.line;
    address->column = value->source().begin.column;
    return address;
}

// "[::]" and "0.0.0.0" on one port: the IPv6 socket takes IPv6 only (else the two would conflict).
void split_families(std::vector<ListenAddress>& addresses) {
    for (auto& v6 : addresses) {
        if (!v6.tcp() || v6.host != "::") continue;
        for (const auto& v4 : addresses) {
            if (v4.tcp() && v4.host == "0.0.0.0" && v4.port == v6.port) v6.v6only = true;
        }
    }
}

void read_socket(Diagnostics& diagnostics, TableReader& service, ListenSpec& out) {
    const toml::table* table =
        service.read_table("socket", "a table such as { mode = \"0660\", user = \"www-data\", group = \"www-data\" }");
    if (table == nullptr) return;
    TableReader reader(diagnostics, *table, service.path_of("socket"), kSocketKeys);
    std::string text;
    if (reader.read_string("mode", "an octal mode such as \"0660\"", text) == Field::valid) {
        unsigned mode = 0;
        const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), mode, 8);
        if (error != std::errc() || end != text.data() + text.size() || mode > 07777) {
            diagnostics.error(*table->get("mode"), invalid("value", reader.path_of("mode"),
                                                           "an octal mode such as \"0660\"", *table->get("mode")));
        } else {
            out.mode = static_cast<mode_t>(mode);
        }
    }
    if (reader.read_string("user", "a user name such as \"www-data\"", text) == Field::valid) {
        if (const passwd* user = getpwnam(text.c_str())) {
            out.user = user->pw_uid;
        } else {
            diagnostics.error(*table->get("user"), "invalid value for " + reader.path_of("user") + ": no user " +
                                                       quote(text) + " on this machine");
        }
    }
    if (reader.read_string("group", "a group name such as \"www-data\"", text) == Field::valid) {
        if (const group* found = getgrnam(text.c_str())) {
            out.group = found->gr_gid;
        } else {
            diagnostics.error(*table->get("group"), "invalid value for " + reader.path_of("group") + ": no group " +
                                                        quote(text) + " on this machine");
        }
    }
    reader.finish();
}

}  // namespace

void read_listen(Diagnostics& diagnostics, TableReader& service, const std::filesystem::path& base_dir,
                 ListenSpec& out) {
    service.read_integer("backlog", 1, 65535, out.backlog);
    service.read_bool("listen_adopt", out.adopt);
    read_socket(diagnostics, service, out);
    const toml::node* value = service.take("listen");
    if (value == nullptr) return;
    const std::string path = service.path_of("listen");
    const auto* array = value->as_array();
    if (array == nullptr) {
        diagnostics.error(*value, invalid("value", path, "an array of addresses such as [\"0.0.0.0:3000\"]", *value));
        return;
    }
    std::map<std::string, const toml::node*> seen;
    for (std::size_t i = 0; i < array->size(); ++i) {
        const toml::node& entry = *array->get(i);
        auto address = read_entry(diagnostics, entry, path + "[" + std::to_string(i) + "]", base_dir);
        if (!address) continue;
        if (const auto [at, fresh] = seen.emplace(address->text, &entry); !fresh) {
            diagnostics.error(entry, "duplicate address " + quote(address->text) + " in " + path + " (first at line " +
                                         std::to_string(at->second->source().begin.line) + ")");
            continue;
        }
        out.addresses.push_back(std::move(*address));
    }
    split_families(out.addresses);
}

void check_listen_owners(Diagnostics& diagnostics, std::vector<ServiceSpec>& services) {
    std::map<std::string, const ServiceSpec*> owners;
    for (auto& spec : services) {
        for (auto& address : spec.listen.addresses) {
            if (address.name.empty()) address.name = spec.name;
            const auto [at, fresh] = owners.emplace(address.text, &spec);
            if (fresh || at->second == &spec) continue;
            diagnostics.error(toml::source_position{address.line, address.column},
                              "address " + quote(address.text) + " of service " + quote(spec.name) +
                                  " is already listed by service " + quote(at->second->name) +
                                  " (a socket belongs to one service; its instances share it)");
        }
    }
}

}  // namespace corral::config
