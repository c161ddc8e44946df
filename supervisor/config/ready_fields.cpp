#include "supervisor/config/ready_fields.hpp"

#include <chrono>
#include <string>

namespace corral::config {
namespace {

using namespace std::chrono_literals;

constexpr std::string_view kReadyNames[] = {"exec", "listening", "message"};
constexpr ReadyKind kReadyKinds[] = {ReadyKind::exec, ReadyKind::listening, ReadyKind::message};
constexpr std::string_view kProbeKeys[] = {"http", "tcp"};
constexpr std::string_view kRolloutKeys[] = {"surge", "max_unavailable"};
constexpr std::string_view kReadyExample =
    "\"exec\", \"listening\", \"message\", { http = \"http://127.0.0.1:3000/health\" } or { tcp = \"127.0.0.1:3000\" }";

void read_probe(Diagnostics& diagnostics, TableReader& service, const toml::table& table, ReadySpec& out) {
    TableReader reader(diagnostics, table, service.path_of("ready"), kProbeKeys);
    std::string http;
    std::string tcp;
    const Field has_http = reader.read_string("http", "a URL such as \"http://127.0.0.1:3000/health\"", http);
    const Field has_tcp = reader.read_string("tcp", "an address such as \"127.0.0.1:3000\"", tcp);
    reader.finish();
    std::string problem;
    if (has_http == Field::valid && has_tcp == Field::valid) {
        diagnostics.error(table, "invalid value for " + service.path_of("ready") +
                                     ": give one of http and tcp, not both (expected " + std::string(kReadyExample) + ")");
    } else if (has_http == Field::valid || has_tcp == Field::valid) {
        const bool is_http = has_http == Field::valid;
        const std::string key = is_http ? "http" : "tcp";
        out.probe = is_http ? parse_http_target(http, problem) : parse_tcp_target(tcp, problem);
        out.kind = is_http ? ReadyKind::http : ReadyKind::tcp;
        if (!out.probe) {
            const toml::node& value = *table.get(key);
            diagnostics.error(value, "invalid value for " + reader.path_of(key) + ": " + problem + " (got " +
                                         describe(value) + ")");
            out.kind = ReadyKind::exec;
        }
    } else if (has_http == Field::absent && has_tcp == Field::absent) {
        diagnostics.error(table, invalid("value", service.path_of("ready"), kReadyExample, table));
    }
}

}  // namespace

void read_ready(Diagnostics& diagnostics, TableReader& service, ServiceSpec& spec) {
    service.read_duration("ready_timeout", 1ms, 1h, spec.ready.timeout);
    const toml::node* value = service.table().get("ready");
    if (value == nullptr) return;
    if (const auto* table = value->as_table()) {
        service.take("ready");
        read_probe(diagnostics, service, *table, spec.ready);
        return;
    }
    read_choice(diagnostics, service, "ready", kReadyNames, kReadyKinds, spec.ready.kind);
}

void read_rollout(Diagnostics& diagnostics, TableReader& service, RolloutSpec& out) {
    const toml::table* table = service.read_table("rollout", "a table such as { surge = 1, max_unavailable = 0 }");
    if (table == nullptr) return;
    TableReader reader(diagnostics, *table, service.path_of("rollout"), kRolloutKeys);
    RolloutSpec read = out;
    // One instance at a time: a replacement beside it (surge = 1) or it stops first (max_unavailable = 1).
    const Field surge = reader.read_integer("surge", 0, 1, read.surge);
    const Field unavailable = reader.read_integer("max_unavailable", 0, 1, read.max_unavailable);
    reader.finish();
    if (surge == Field::invalid || unavailable == Field::invalid) return;
    if (read.surge == 0 && read.max_unavailable == 0) {
        diagnostics.error(*table, "invalid value for " + service.path_of("rollout") +
                                      ": with surge = 0 and max_unavailable = 0 no instance could ever be replaced "
                                      "(expected at least one of them above 0)");
        return;
    }
    out = read;
}

void check_ready(Diagnostics& diagnostics, const toml::table& service, const std::string& path, const ServiceSpec& spec) {
    const toml::node* value = service.get("ready");
    if (value == nullptr) return;
    const std::string where = key_path(path, "ready");
    const bool json = spec.ipc == IpcMode::json;
    if (spec.ready.kind == ReadyKind::listening) {
        if (spec.listen.addresses.empty()) {
            diagnostics.error(*value, "invalid value for " + where +
                                          ": \"listening\" means accepting on the sockets corral holds, and the "
                                          "service has no `listen` addresses (add listen = [...], or use { tcp = ... })");
        } else if (!spec.listen.adopt || !json) {
            diagnostics.error(*value, "invalid value for " + where +
                                          ": \"listening\" is reported by corral's Node agent over a json IPC channel "
                                          "(it needs listen_adopt = true and ipc = \"json\")");
        }
    } else if (spec.ready.kind == ReadyKind::message && !json) {
        diagnostics.error(*value, "invalid value for " + where + ": \"message\" is read from the IPC channel, which "
                                                                   "needs ipc = \"json\"");
    }
}

}  // namespace corral::config
