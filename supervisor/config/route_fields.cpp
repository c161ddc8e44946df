#include "supervisor/config/route_fields.hpp"

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "supervisor/config/closest_key.hpp"
#include "supervisor/config/service_fields.hpp"
#include "supervisor/config/units.hpp"

namespace corral::config {
namespace {

constexpr std::string_view kRouteKeys[] = {"from", "to", "rate", "byte_rate", "burst", "delivery", "queue"};
constexpr std::string_view kQueueKeys[] = {"max_bytes", "max_messages", "overflow", "spill_max", "durable"};
constexpr std::string_view kDeliveryNames[] = {"round-robin", "broadcast"};
constexpr Delivery kDeliveries[] = {Delivery::round_robin, Delivery::broadcast};
constexpr std::string_view kOverflowNames[] = {"spill", "drop-oldest", "drop-newest", "block"};
constexpr ipc::Overflow kOverflows[] = {ipc::Overflow::spill, ipc::Overflow::drop_oldest,
                                        ipc::Overflow::drop_newest, ipc::Overflow::block};

constexpr std::int64_t kMostBurst = 100'000'000;
constexpr std::int64_t kMostQueuedMessages = 100'000'000;
// Per receiving instance. Less memory than this would spill (or drop) on every small burst: a typo.
constexpr std::uint64_t kSmallestQueue = 64ull << 10;
constexpr std::uint64_t kSmallestSpill = 1ull << 20;
constexpr std::uint64_t kLargestSize = 1ull << 62;

constexpr std::string_view kRateType = "a string with a unit such as \"2000/s\" or \"30/m\"";
constexpr std::string_view kRateForm =
    "a number above 0 with \"/s\" (per second) or \"/m\" (per minute), such as \"2000/s\" or \"30/m\"";
constexpr std::string_view kByteRateType = "a string with a unit such as \"20MiB/s\"";
constexpr std::string_view kByteRateForm =
    "a whole number above 0 with a unit B, kB, KB, MB, GB, TB, K, KiB, M, MiB, G, GiB, T or TiB, then \"/s\", "
    "such as \"20MiB/s\"";
constexpr std::string_view kRouteExample = "a table such as { from = \"api\", to = \"writer\" }";
constexpr std::string_view kQueueExample = "a table such as { max_bytes = \"16MiB\", overflow = \"spill\" }";
constexpr std::string_view kSameSerialization = "(expected both services to use the same ipc serialization)";

// A [[routes]] entry as read; `from` and `to` point at their values when both name services of the file
// and differ (the entry then takes part in the checks across routes).
struct RouteEntry {
    RouteSpec spec;
    const toml::node* from = nullptr;
    const toml::node* to = nullptr;
};

// `rate` (messages) or `byte_rate`, through `parse` (units.hpp).
template <typename Parse>
Field read_rate(Diagnostics& diagnostics, TableReader& route, std::string_view key, std::string_view type,
                std::string_view form, Parse parse, std::optional<double>& out) {
    const toml::node* value = route.take(key);
    if (value == nullptr) return Field::absent;
    const auto* text = value->as_string();
    const auto rate = text != nullptr ? parse(text->get()) : std::nullopt;
    if (!rate) {
        diagnostics.error(*value, invalid("rate", route.path_of(key), text != nullptr ? form : type, *value));
        return Field::invalid;
    }
    out = static_cast<double>(*rate);
    return Field::valid;
}

std::string service_table(std::string_view name) { return "[" + key_path("services", name) + "]"; }

std::string route_text(std::string_view from, std::string_view to) {
    return "route from " + quote(from) + " to " + quote(to);
}

// The services of one file and the routes between them.
class RouteChecker {
public:
    RouteChecker(Diagnostics& diagnostics, std::span<const ServiceEntry> services)
        : diagnostics_(diagnostics), services_(services) {}

    void read_array(const toml::node& value);
    void read_parents();
    void check_routes();
    void check_advanced_senders();
    void store(Config& config);

private:
    const ServiceEntry* find(std::string_view name) const;
    std::string no_service(std::string_view path, std::string_view name, std::string_view except) const;
    const toml::node* read_end(TableReader& route, std::string_view key, std::string_view expected,
                               std::string_view from, std::string& out);
    void read_route(const toml::table& table, const std::string& path);
    void read_parent(const ServiceEntry& service);

    Diagnostics& diagnostics_;
    std::span<const ServiceEntry> services_;
    std::vector<RouteEntry> routes_;
    std::vector<RouteSpec> implicit_;
    // from, to -> the parent key that made the route ("services.writer.parent").
    std::map<std::pair<std::string, std::string>, std::string> made_by_parent_;
};

// The serialization of a service's channel; unset when its ipc value is wrong (already reported) or the
// service is not a table.
std::optional<IpcMode> ipc_of(const ServiceEntry& service) {
    if (service.table == nullptr) return std::nullopt;
    const toml::node* value = service.table->get("ipc");
    if (value == nullptr) return IpcMode::json;
    const auto* text = value->as_string();
    return text != nullptr ? ipc_mode_from(text->get()) : std::nullopt;
}

const ServiceEntry* RouteChecker::find(std::string_view name) const {
    for (const ServiceEntry& service : services_) {
        if (service.name == name) return &service;
    }
    return nullptr;
}

// `invalid value for PATH: no service "wrtier" (did you mean "writer"?)`, or with the services to choose
// from (but `except`) when none is close.
std::string RouteChecker::no_service(std::string_view path, std::string_view name, std::string_view except) const {
    std::vector<std::string_view> names;
    for (const ServiceEntry& service : services_) {
        if (service.name != except) names.push_back(service.name);
    }
    std::string message = "invalid value for " + std::string(path) + ": no service " + quote(name) + " (";
    if (const auto suggestion = closest_key(name, names)) {
        message += "did you mean " + quote(*suggestion) + "?)";
    } else if (names.empty()) {
        message += "expected another service of this file)";
    } else {
        message += "expected one of ";
        for (std::size_t i = 0; i < names.size(); ++i) message += (i > 0 ? ", " : "") + quote(names[i]);
        message += ')';
    }
    return message;
}

// `from` or `to`: required, the name of a service of the file; `to` differs from `from` (the valid
// `from` name, or "" when it is not). Returns the value when it is valid.
const toml::node* RouteChecker::read_end(TableReader& route, std::string_view key, std::string_view expected,
                                         std::string_view from, std::string& out) {
    const toml::node* value = route.take(key);
    const std::string path = route.path_of(key);
    if (value == nullptr) {
        diagnostics_.error(route.table().source().begin, "missing required key " + quote(key) + " in [" +
                                                             route.path() + "] (expected " + std::string(expected) +
                                                             ")");
        return nullptr;
    }
    const auto* text = value->as_string();
    if (text == nullptr || text->get().empty()) {
        diagnostics_.error(*value, invalid("value", path, expected, *value));
        return nullptr;
    }
    out = text->get();
    if (!from.empty() && out == from) {
        diagnostics_.error(*value, "invalid value for " + path + ": the same service as from (expected a service "
                                       "other than " + quote(from) + ", got " + describe(*value) + ")");
        return nullptr;
    }
    if (find(out) == nullptr) {
        diagnostics_.error(*value, no_service(path, out, from));
        return nullptr;
    }
    return value;
}

void RouteChecker::read_route(const toml::table& table, const std::string& path) {
    TableReader route(diagnostics_, table, path, kRouteKeys);
    RouteEntry entry;
    RouteSpec& spec = entry.spec;
    const toml::node* from = read_end(route, "from", "the name of the sending service such as \"api\"", "", spec.from);
    const toml::node* to = read_end(route, "to", "the name of the receiving service such as \"writer\"",
                                    from != nullptr ? std::string_view(spec.from) : "", spec.to);
    const Field rate = read_rate(diagnostics_, route, "rate", kRateType, kRateForm, parse_message_rate,
                                 spec.rate.messages_per_second);
    read_rate(diagnostics_, route, "byte_rate", kByteRateType, kByteRateForm, parse_byte_rate,
              spec.rate.bytes_per_second);
    const Field burst = route.read_integer("burst", 1, kMostBurst, spec.rate.burst_messages);
    if (burst == Field::valid && rate == Field::absent) {
        const toml::node& value = *table.get("burst");
        diagnostics_.error(value, "invalid value for " + route.path_of("burst") +
                                      ": a burst is a number of messages, and rate (messages per second) is not set "
                                      "(expected rate beside it such as rate = \"2000/s\", got " + describe(value) +
                                      ")");
        spec.rate.burst_messages = 0;
    }
    read_choice(diagnostics_, route, "delivery", kDeliveryNames, kDeliveries, spec.delivery);
    if (const toml::table* queue_table = route.read_table("queue", kQueueExample)) {
        TableReader queue(diagnostics_, *queue_table, route.path_of("queue"), kQueueKeys);
        queue.read_size("max_bytes", kSmallestQueue, kLargestSize, spec.queue.max_bytes);
        queue.read_integer("max_messages", 1, kMostQueuedMessages, spec.queue.max_messages);
        read_choice(diagnostics_, queue, "overflow", kOverflowNames, kOverflows, spec.queue.overflow);
        queue.read_size("spill_max", kSmallestSpill, kLargestSize, spec.queue.spill_max);
        queue.read_bool("durable", spec.queue.durable);
        queue.finish();
    }
    route.finish();
    if (from != nullptr && to != nullptr) {
        entry.from = from;
        entry.to = to;
    }
    routes_.push_back(std::move(entry));
}

void RouteChecker::read_array(const toml::node& value) {
    const auto* array = value.as_array();
    if (array == nullptr) {
        diagnostics_.error(value, invalid("value", "routes", "an array of tables such as [[routes]]", value));
        return;
    }
    for (std::size_t i = 0; i < array->size(); ++i) {
        const toml::node& element = *array->get(i);
        const std::string path = "routes[" + std::to_string(i) + "]";
        if (const auto* table = element.as_table()) {
            read_route(*table, path);
        } else {
            diagnostics_.error(element, invalid("value", path, kRouteExample, element));
        }
    }
}

// A valid `parent` string (a wrong one is reported by read_service) must name another service with the
// same kind of channel; it makes the routes parent -> service and service -> parent.
void RouteChecker::read_parent(const ServiceEntry& service) {
    const toml::node* value = service.table != nullptr ? service.table->get("parent") : nullptr;
    const auto* text = value != nullptr ? value->as_string() : nullptr;
    if (text == nullptr || text->get().empty()) return;
    const std::string& parent = text->get();
    const std::string path = key_path(key_path("services", service.name), "parent");
    if (parent == service.name) {
        diagnostics_.error(*value, "invalid value for " + path + ": the service itself (expected another service, "
                                       "got " + describe(*value) + ")");
        return;
    }
    const ServiceEntry* other = find(parent);
    if (other == nullptr) {
        diagnostics_.error(*value, no_service(path, parent, service.name));
        return;
    }
    const std::optional<IpcMode> own = ipc_of(service);
    const std::optional<IpcMode> theirs = ipc_of(*other);
    if (own == IpcMode::off) {
        const toml::node& ipc = *service.table->get("ipc");
        diagnostics_.error(ipc, "invalid value for " + key_path(key_path("services", service.name), "ipc") +
                                    ": a service with a parent needs an ipc channel (expected \"json\" or "
                                    "\"advanced\", got " + describe(ipc) + ")");
    }
    if (theirs == IpcMode::off) {
        diagnostics_.error(*value, "parent " + quote(parent) + " of service " + quote(service.name) +
                                       " has no ipc channel (expected ipc = \"json\" or \"advanced\" in " +
                                       service_table(parent) + ", got \"off\")");
    }
    if (own && theirs && own != IpcMode::off && theirs != IpcMode::off && own != theirs) {
        diagnostics_.error(*value, "service " + quote(service.name) + " and its parent " + quote(parent) + " join " +
                                       std::string(ipc_mode_name(*own)) + " and " +
                                       std::string(ipc_mode_name(*theirs)) + " channels " +
                                       std::string(kSameSerialization));
    }
    const auto made = made_by_parent_.find({parent, service.name});
    if (made != made_by_parent_.end()) {
        diagnostics_.error(*value, "service " + quote(service.name) + " and its parent " + quote(parent) +
                                       " are already joined by " + made->second +
                                       " (expected parent on one of the two services)");
        return;
    }
    for (auto [from, to] : {std::pair{parent, service.name}, std::pair{service.name, parent}}) {
        made_by_parent_.emplace(std::pair{from, to}, path);
        RouteSpec spec;
        spec.from = from;
        spec.to = to;
        spec.implicit = true;
        implicit_.push_back(std::move(spec));
    }
}

void RouteChecker::read_parents() {
    for (const ServiceEntry& service : services_) read_parent(service);
}

// Each [[routes]] entry with valid ends: not a second route between the same two services in the same
// direction, and both ends with the same kind of channel.
void RouteChecker::check_routes() {
    std::map<std::pair<std::string, std::string>, const toml::node*> seen;
    for (const RouteEntry& entry : routes_) {
        if (entry.from == nullptr) continue;
        const RouteSpec& spec = entry.spec;
        const std::string route = route_text(spec.from, spec.to);
        const std::pair key{spec.from, spec.to};
        if (const auto made = made_by_parent_.find(key); made != made_by_parent_.end()) {
            diagnostics_.error(*entry.from, route + " is already made by " + made->second +
                                                " (expected each from and to pair once; to set its limits, replace "
                                                "parent with [[routes]] both ways)");
            continue;
        }
        if (const auto earlier = seen.find(key); earlier != seen.end()) {
            diagnostics_.error(*entry.from, route + " is already defined at line " +
                                                std::to_string(earlier->second->source().begin.line) +
                                                " (expected each from and to pair once)");
            continue;
        }
        seen.emplace(key, entry.from);
        const std::optional<IpcMode> from = ipc_of(*find(spec.from));
        const std::optional<IpcMode> to = ipc_of(*find(spec.to));
        const auto check_channel = [&](std::optional<IpcMode> mode, const toml::node& value, std::string_view name) {
            if (mode != IpcMode::off) return;
            diagnostics_.error(value, route + " joins a service without an ipc channel (expected ipc = \"json\" or "
                                              "\"advanced\" in " + service_table(name) + ", got \"off\")");
        };
        check_channel(from, *entry.from, spec.from);
        check_channel(to, *entry.to, spec.to);
        if (from && to && from != IpcMode::off && to != IpcMode::off && from != to) {
            diagnostics_.error(*entry.from, route + " joins " + std::string(ipc_mode_name(*from)) + " and " +
                                                std::string(ipc_mode_name(*to)) + " channels " +
                                                std::string(kSameSerialization));
        }
    }
}

// The broker reads "$to" from json messages only (it does not decode V8's serialization), so a sender on
// an advanced channel can have one route.
void RouteChecker::check_advanced_senders() {
    std::map<std::string, std::vector<std::string>> targets;
    for (const RouteEntry& entry : routes_) {
        if (entry.from != nullptr) targets[entry.spec.from].push_back(entry.spec.to);
    }
    for (const RouteSpec& spec : implicit_) targets[spec.from].push_back(spec.to);
    for (const auto& [from, to] : targets) {
        const ServiceEntry* service = find(from);
        if (to.size() < 2 || service == nullptr || ipc_of(*service) != IpcMode::advanced) continue;
        std::string names;
        for (const std::string& name : to) names += (names.empty() ? "" : ", ") + quote(name);
        diagnostics_.error(*service->table->get("ipc"),
                           "service " + quote(from) + " sends on " + std::to_string(to.size()) + " routes (to " + names +
                               ") but its ipc is \"advanced\", whose messages cannot be addressed with \"$to\" "
                               "(expected one route from " + quote(from) + ", or ipc = \"json\")");
    }
}

void RouteChecker::store(Config& config) {
    for (RouteEntry& entry : routes_) config.routes.push_back(std::move(entry.spec));
    for (RouteSpec& spec : implicit_) config.routes.push_back(std::move(spec));
}

}  // namespace

void read_routes(Diagnostics& diagnostics, TableReader& root, std::span<const ServiceEntry> services,
                 Config& config) {
    RouteChecker checker(diagnostics, services);
    if (const toml::node* value = root.take("routes")) checker.read_array(*value);
    checker.read_parents();
    checker.check_routes();
    checker.check_advanced_senders();
    checker.store(config);
}

std::string_view overflow_name(ipc::Overflow overflow) {
    for (std::size_t i = 0; i < std::size(kOverflows); ++i) {
        if (kOverflows[i] == overflow) return kOverflowNames[i];
    }
    return "?";
}

}  // namespace corral::config
