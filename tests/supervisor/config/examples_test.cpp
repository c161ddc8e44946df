// The files of examples/ are checked as far as this machine can: every service file loads with corral's
// loader (the Kubernetes ConfigMap's too, read out of its YAML), the Kubernetes manifest agrees with its
// corral.toml (grace period, scrape port, memory), and the Grafana dashboard is JSON whose expressions use
// corral's metric names only (tests/fixtures/metric_names.txt, the fixed list).
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "supervisor/config/load_config.hpp"
#include "tests/support/config_loading.hpp"

using namespace corral;
using namespace corral::test;
namespace fs = std::filesystem;

namespace {

const fs::path kSource = CORRAL_SOURCE_DIR;

std::string text_of(const fs::path& file) {
    std::ifstream in(file);
    REQUIRE_MESSAGE(in.good(), "cannot read " << file);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

// The literal block `corral.toml: |` of the ConfigMap, without its indentation.
std::string configmap_toml(const std::string& yaml) {
    std::istringstream lines(yaml);
    std::string line;
    std::string toml;
    std::size_t indent = std::string::npos;
    bool inside = false;
    while (std::getline(lines, line)) {
        if (!inside) {
            inside = line.find("corral.toml: |") != std::string::npos;
            continue;
        }
        const std::size_t first = line.find_first_not_of(' ');
        if (first == std::string::npos) {
            toml += "\n";
            continue;
        }
        if (indent == std::string::npos) indent = first;
        if (first < indent) break;
        toml += line.substr(indent) + "\n";
    }
    return toml;
}

// The metrics key comes with the metrics endpoint; a build without it loads the files without that line.
std::string for_this_build(std::string toml) {
    const bool knows_metrics =
        config::load_config_text("[supervisor]\nmetrics = \"127.0.0.1:9464\"\n", kSource / "x.toml").errors.empty();
    const std::string without = std::regex_replace(toml, std::regex("\nmetrics = [^\n]*"), "");
    if (knows_metrics || without == toml) return toml;
    MESSAGE("this build has no [supervisor] metrics key: the example is loaded without its metrics line");
    return without;
}

config::Config load_text_ok(const std::string& text, const fs::path& as) {
    auto result = config::load_config_text(for_this_build(text), as);
    CHECK(messages(result.errors) == Messages{});
    REQUIRE(result.config.has_value());
    return std::move(*result.config);
}

// The Kubernetes example's corral.toml, with the image's /app/app (examples/docker/app) put where it is here.
config::Config kubernetes_config() {
    std::string toml = configmap_toml(text_of(kSource / "examples/kubernetes/corral.yaml"));
    REQUIRE(!toml.empty());
    toml = std::regex_replace(toml, std::regex("\"/app/app\""), "\"" + (kSource / "examples/docker/app").string() + "\"");
    return load_text_ok(toml, kSource / "examples/kubernetes/corral.toml");
}

long yaml_number(const std::string& yaml, const std::string& key) {
    std::smatch found;
    REQUIRE_MESSAGE(std::regex_search(yaml, found, std::regex(key + ":\\s*\"?(\\d+)")), key << " not found");
    return std::stol(found[1].str());
}

std::set<std::string> metric_names() {
    std::set<std::string> names;
    std::istringstream lines(text_of(kSource / "tests/fixtures/metric_names.txt"));
    std::string line;
    while (std::getline(lines, line)) {
        if (!line.empty() && line.front() != '#') names.insert(line);
    }
    return names;
}

// The metric names a PromQL expression uses: what is left once strings, label matchers, groupings, ranges,
// variables, numbers, functions and keywords are taken out.
std::vector<std::string> metrics_in(std::string expr) {
    static const std::set<std::string> kPromql = {
        "sum",   "rate",  "increase", "irate", "max", "min", "avg", "count", "topk", "bottomk", "time", "by",
        "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless", "bool", "offset",
        "clamp_min", "clamp_max", "label_values", "abs", "delta", "deriv", "max_over_time", "min_over_time"};
    for (const char* pattern : {"\"[^\"]*\"", "\\{[^}]*\\}", "\\b(by|without|on|ignoring)\\s*\\([^)]*\\)",
                                "\\[[^\\]]*\\]", "\\$\\{?\\w+\\}?", "label_values\\(([^,)]*),[^)]*\\)"}) {
        expr = std::regex_replace(expr, std::regex(pattern), std::string(pattern).starts_with("label") ? "$1" : " ");
    }
    std::vector<std::string> names;
    const std::regex identifier("[A-Za-z_:][A-Za-z0-9_:]*");
    for (auto it = std::sregex_iterator(expr.begin(), expr.end(), identifier); it != std::sregex_iterator(); ++it) {
        if (!kPromql.contains(it->str())) names.push_back(it->str());
    }
    return names;
}

void collect_queries(const nlohmann::json& node, std::vector<std::string>& queries) {
    if (node.is_object()) {
        for (const auto& [key, value] : node.items()) {
            if ((key == "expr" || key == "definition") && value.is_string()) queries.push_back(value.get<std::string>());
            collect_queries(value, queries);
        }
    } else if (node.is_array()) {
        for (const auto& each : node) collect_queries(each, queries);
    }
}

}  // namespace

TEST_CASE("examples: every service file loads with corral's loader") {
    for (const std::string file : {"examples/quickstart/corral.toml", "examples/article/corral.toml",
                                   "examples/docker/corral.toml"}) {
        CAPTURE(file);
        load_text_ok(text_of(kSource / file), kSource / file);
    }
    const config::Config kubernetes = kubernetes_config();
    // The ConfigMap runs the image's apps: the same services as the image's own file.
    const config::Config image = load_text_ok(text_of(kSource / "examples/docker/corral.toml"),
                                              kSource / "examples/docker/corral.toml");
    REQUIRE(kubernetes.services.size() == image.services.size());
    for (std::size_t i = 0; i < image.services.size(); ++i) {
        CHECK(kubernetes.services[i].name == image.services[i].name);
        CHECK(kubernetes.services[i].command == image.services[i].command);
        CHECK(kubernetes.services[i].cwd == image.services[i].cwd);
    }
}

TEST_CASE("examples: the Kubernetes manifest agrees with its corral.toml") {
    const std::string yaml = text_of(kSource / "examples/kubernetes/corral.yaml");
    const config::Config config = kubernetes_config();
    // corral gets the time to stop everything gracefully: drain, the longest stop timeout, and 15 s more.
    std::chrono::milliseconds longest_stop{0};
    std::uint64_t memory = 0;
    for (const auto& service : config.services) {
        longest_stop = std::max(longest_stop, service.stop.timeout);
        REQUIRE(service.limits.memory.max.has_value());
        memory += *service.limits.memory.max * service.instances;
    }
    const auto needed = config.supervisor.drain_timeout + longest_stop + std::chrono::seconds(15);
    CHECK(yaml_number(yaml, "terminationGracePeriodSeconds") * 1000 >= needed.count());
    // Prometheus scrapes the port [supervisor] metrics listens on.
    CHECK(yaml.find("prometheus.io/scrape: \"true\"") != std::string::npos);
    CHECK(yaml.find("prometheus.io/path: \"/metrics\"") != std::string::npos);
    CHECK(configmap_toml(yaml).find("metrics = \"0.0.0.0:" + std::to_string(yaml_number(yaml, "prometheus.io/port")) +
                                    "\"") != std::string::npos);
    CHECK(std::regex_search(yaml, std::regex("name: metrics\\s*\n\\s*containerPort: " +
                                             std::to_string(yaml_number(yaml, "prometheus.io/port")))));
    // The container's memory limit holds every instance's memory.max.
    std::smatch limit;
    REQUIRE(std::regex_search(yaml, limit, std::regex("limits:\\s*\n\\s*memory:\\s*(\\d+)Mi")));
    CHECK(std::stoull(limit[1].str()) * 1024 * 1024 > memory);
}

TEST_CASE("examples: the Grafana dashboard is JSON and uses only corral's metric names") {
    const nlohmann::json dashboard = nlohmann::json::parse(text_of(kSource / "examples/grafana/dashboard.json"));
    REQUIRE(dashboard.contains("panels"));
    std::vector<std::string> queries;
    collect_queries(dashboard, queries);
    CHECK(queries.size() > 20);
    const std::set<std::string> known = metric_names();
    std::set<std::string> used;
    for (const auto& query : queries) {
        CAPTURE(query);
        const std::vector<std::string> names = metrics_in(query);
        CHECK(!names.empty());
        for (const auto& name : names) {
            CHECK_MESSAGE(known.contains(name), name << " is not one of corral's metric names");
            used.insert(name);
        }
    }
    // What the dashboard is for: each family of the issue has a panel.
    for (const char* name : {"corral_instance_up", "corral_instance_state", "corral_instance_restarts_total",
                             "corral_instance_memory_bytes", "corral_instance_memory_limit_bytes",
                             "corral_instance_cpu_seconds_total", "corral_instance_oom_kills_total",
                             "corral_instance_cooling", "corral_route_delivered_messages_total",
                             "corral_node_heap_used_bytes", "corral_node_eventloop_delay_p99_seconds"}) {
        CHECK_MESSAGE(used.contains(name), "no panel shows " << name);
    }
}

TEST_CASE("examples: the metric-name check finds a name that is not corral's") {
    CHECK(metrics_in("sum by (service) (rate(corral_instance_up{service=~\"$service\"}[5m]))") ==
          std::vector<std::string>{"corral_instance_up"});
    CHECK(metrics_in("node_memory_MemFree_bytes and on (instance, job) corral_build_info") ==
          std::vector<std::string>{"node_memory_MemFree_bytes", "corral_build_info"});
    CHECK(metrics_in("label_values(corral_build_info, job)") == std::vector<std::string>{"corral_build_info"});
}
