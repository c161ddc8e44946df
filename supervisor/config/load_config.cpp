#include "supervisor/config/load_config.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <iterator>
#include <optional>
#include <system_error>
#include <utility>
#include <vector>

#include <toml++/toml.h>

#include "supervisor/config/closest_key.hpp"
#include "supervisor/config/listen_fields.hpp"
#include "supervisor/config/liveness_fields.hpp"
#include "supervisor/config/metrics_fields.hpp"
#include "supervisor/config/route_fields.hpp"
#include "supervisor/config/service_fields.hpp"
#include "supervisor/config/service_name.hpp"
#include "supervisor/config/toml_fields.hpp"
#include "supervisor/config/toml_guard.hpp"

namespace corral::config {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kRootKeys[] = {"supervisor", "services", "routes"};
constexpr std::string_view kSupervisorKeys[] = {"state_dir", "cgroups", "cgroup_root", "sample_interval",
                                                "postmortem", "max_message", "drain_timeout", "metrics"};
constexpr std::string_view kPostmortemKeys[] = {"keep", "max_size", "window"};
constexpr std::string_view kCgroupModeNames[] = {"auto", "required", "off"};
constexpr CgroupMode kCgroupModes[] = {CgroupMode::automatic, CgroupMode::required, CgroupMode::off};
// Memory is sampled at least this far apart; below 100ms the daemon would do little else.
constexpr Duration kShortestSample{100};
constexpr Duration kLongestSample{3'600'000};
// The drain at shutdown holds every service up: an hour is surely a typo.
constexpr Duration kLongestDrain{3'600'000};
constexpr std::int64_t kMostPostmortemBundles = 10'000;  // per instance
// A smaller budget for all post-mortem bundles is a typo ("10k" meant "10G").
constexpr std::uint64_t kSmallestPostmortemSize = 1ull << 20;
constexpr std::uint64_t kLargestPostmortemSize = 1ull << 62;
// The longest IPC frame the broker accepts; Node's own channel has no limit, so the bound is ours.
constexpr std::uint64_t kSmallestMaxMessage = 1ull << 10;
constexpr std::uint64_t kLargestMaxMessage = 1ull << 30;
constexpr std::string_view kNoServices = "no services defined (expected at least one [services.NAME] table)";

fs::path absolute_file_path(const fs::path& file) {
    std::error_code error;
    fs::path absolute = file.empty() ? fs::current_path(error) / "corral.toml" : fs::absolute(file, error);
    if (error) absolute = file;
    return absolute.lexically_normal();
}

void read_cgroups(Diagnostics& diagnostics, TableReader& supervisor, SupervisorSpec& spec) {
    const toml::node* value = supervisor.take("cgroups");
    if (value == nullptr) return;
    const auto* text = value->as_string();
    if (text != nullptr) {
        for (std::size_t i = 0; i < std::size(kCgroupModeNames); ++i) {
            if (text->get() == kCgroupModeNames[i]) {
                spec.cgroups = kCgroupModes[i];
                return;
            }
        }
    }
    const std::string message = invalid("value", supervisor.path_of("cgroups"),
                                        "one of \"auto\", \"required\", \"off\"", *value);
    diagnostics.error(*value,
                      with_suggestion(message, text ? closest_key(text->get(), kCgroupModeNames) : std::nullopt));
}

void read_postmortem(Diagnostics& diagnostics, TableReader& supervisor, PostmortemSpec& spec) {
    const toml::table* table =
        supervisor.read_table("postmortem", "a table such as { keep = 20, max_size = \"1GiB\" }");
    if (table == nullptr) return;
    TableReader postmortem(diagnostics, *table, supervisor.path_of("postmortem"), kPostmortemKeys);
    postmortem.read_integer("keep", 1, kMostPostmortemBundles, spec.keep);
    postmortem.read_size("max_size", kSmallestPostmortemSize, kLargestPostmortemSize, spec.max_size);
    postmortem.read_duration("window", Duration{0}, std::chrono::hours(24), spec.window);
    postmortem.finish();
}

void read_supervisor(Diagnostics& diagnostics, TableReader& root, const fs::path& base_dir, Config& config) {
    config.supervisor.state_dir = resolve_path(base_dir, ".corral");
    const toml::table* table = root.read_table("supervisor", "a table such as [supervisor]");
    if (table == nullptr) return;
    TableReader supervisor(diagnostics, *table, "supervisor", kSupervisorKeys);
    std::string state_dir;
    if (supervisor.read_string("state_dir", "a directory path such as \".corral\"", state_dir) == Field::valid) {
        config.supervisor.state_dir = resolve_path(base_dir, state_dir);
    }
    read_cgroups(diagnostics, supervisor, config.supervisor);
    std::string cgroup_root;
    if (supervisor.read_string("cgroup_root", "a directory path such as \"/sys/fs/cgroup\"", cgroup_root) ==
        Field::valid) {
        config.supervisor.cgroup_root = resolve_path(base_dir, cgroup_root);
    }
    supervisor.read_duration("sample_interval", kShortestSample, kLongestSample, config.supervisor.sample_interval);
    read_postmortem(diagnostics, supervisor, config.supervisor.postmortem);
    supervisor.read_size("max_message", kSmallestMaxMessage, kLargestMaxMessage, config.supervisor.max_message);
    supervisor.read_duration("drain_timeout", Duration{0}, kLongestDrain, config.supervisor.drain_timeout);
    read_metrics(diagnostics, supervisor, config.supervisor.metrics);
    supervisor.finish();
}

// Returns every entry of [services] in file order, for the routes.
std::vector<ServiceEntry> read_services(Diagnostics& diagnostics, TableReader& root, const fs::path& base_dir,
                                        Config& config) {
    std::vector<ServiceEntry> read;
    const toml::node* services = root.take("services");
    if (services == nullptr) {
        diagnostics.error(toml::source_position{1, 1}, std::string(kNoServices));
        return read;
    }
    const toml::table* table = services->as_table();
    if (table == nullptr) {
        diagnostics.error(*services,
                          invalid("value", "services", "a table of services such as [services.api]", *services));
        return read;
    }
    if (table->empty()) {
        diagnostics.error(*services, std::string(kNoServices));
        return read;
    }

    // toml++ keeps keys sorted; services are kept in the order the file defines them.
    std::vector<std::pair<const toml::key*, const toml::node*>> entries;
    for (const auto& [key, value] : *table) entries.emplace_back(&key, &value);
    std::stable_sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) {
        const auto& left = a.second->source().begin;
        const auto& right = b.second->source().begin;
        return left.line != right.line ? left.line < right.line : left.column < right.column;
    });

    for (const auto& [key, value] : entries) {
        const std::string name(key->str());
        const std::string path = key_path("services", name);
        const auto problem = service_name_problem(name);
        if (problem) diagnostics.error(key->source().begin, "invalid service name " + quote(name) + " " + *problem);
        const toml::table* service = value->as_table();
        read.push_back(ServiceEntry{name, service});
        if (service == nullptr) {
            diagnostics.error(*value, invalid("value", path, "a table such as [" + path + "]", *value));
            continue;
        }
        ServiceSpec spec = read_service(diagnostics, *service, path, base_dir);
        spec.name = name;
        if (!problem) config.services.push_back(std::move(spec));
    }
    return read;
}

}  // namespace

LoadResult load_config_file(const fs::path& file) {
    std::string text;
    const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    int error = fd < 0 ? errno : 0;
    if (fd >= 0) {
        char buffer[64 * 1024];
        for (;;) {
            const ssize_t got = ::read(fd, buffer, sizeof buffer);
            if (got > 0) {
                text.append(buffer, static_cast<std::size_t>(got));
            } else if (got == 0) {
                break;
            } else if (errno != EINTR) {
                error = errno;
                break;
            }
        }
        ::close(fd);
    }
    if (error != 0) {
        const std::string reason = std::error_code(error, std::generic_category()).message();
        return LoadResult{std::nullopt, {ConfigError{file.string(), 0, 0, "cannot read the service file: " + reason}}};
    }
    return load_config_text(text, file);
}

LoadResult load_config_text(std::string_view text, const fs::path& file) {
    Diagnostics diagnostics(file.string());
    // Characters toml++ 3.3 cannot be shown where it looks for whitespace (toml_guard.hpp). Positions in
    // what it parsed are mapped back to positions in the file.
    const TomlGuard guard = guard_toml_text(text);
    const auto sorted_errors = [&] {
        ConfigErrors errors = diagnostics.take_sorted();
        for (auto& error : errors) guard.map_back(error.line, error.column);
        return errors;
    };
    if (const auto& problem = guard.problem()) {
        diagnostics.error(toml::source_position{problem->line, problem->column}, problem->message);
        return LoadResult{std::nullopt, diagnostics.take_sorted()};
    }
    toml::table document;
    try {
        document = toml::parse(guard.text(), std::string_view(diagnostics.file()));
    } catch (const toml::parse_error& error) {
        diagnostics.error(error.source().begin, std::string(error.description()));
        return LoadResult{std::nullopt, sorted_errors()};
    }

    Config config;
    config.file = absolute_file_path(file);
    const fs::path base_dir = config.file.parent_path();
    TableReader root(diagnostics, document, "", kRootKeys);
    read_supervisor(diagnostics, root, base_dir, config);
    const std::vector<ServiceEntry> services = read_services(diagnostics, root, base_dir, config);
    read_routes(diagnostics, root, services, config);
    check_liveness(diagnostics, services, config);
    check_listen_owners(diagnostics, config.services);
    root.finish();

    if (!diagnostics.empty()) return LoadResult{std::nullopt, sorted_errors()};
    return LoadResult{std::move(config), {}};
}

}  // namespace corral::config
