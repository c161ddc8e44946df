#include "supervisor/config/service_fields.hpp"

#include <csignal>
#include <iterator>
#include <optional>
#include <system_error>
#include <vector>

#include "base/text_format.hpp"
#include "policies/signal_names.hpp"
#include "supervisor/config/closest_key.hpp"
#include "supervisor/config/cooling_fields.hpp"
#include "supervisor/config/throttle_fields.hpp"
#include "supervisor/config/exec_size.hpp"
#include "supervisor/config/limit_fields.hpp"
#include "supervisor/config/listen_fields.hpp"
#include "supervisor/config/liveness_fields.hpp"
#include "supervisor/config/ready_fields.hpp"

namespace corral::config {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using policies::Duration;

constexpr std::string_view kServiceKeys[] = {"command", "shell", "cwd", "env", "instances", "restart", "backoff",
                                             "start_limit", "stop", "logs", "memory", "pids", "cpu",
                                             "node_diagnostics", "node_agent", "ipc", "parent", "cooling", "throttle", "standby",
                                             "listen", "backlog", "socket", "listen_adopt", "ready",
                                             "ready_timeout", "rollout", "liveness"};
constexpr std::string_view kBackoffKeys[] = {"initial", "factor", "max", "reset_after"};
constexpr std::string_view kStartLimitKeys[] = {"burst", "interval"};
constexpr std::string_view kStopKeys[] = {"signal", "timeout"};
constexpr std::string_view kLogKeys[] = {"max_size", "keep", "timestamps", "format"};
constexpr std::string_view kLogFormatNames[] = {"text", "json"};
constexpr LogFormat kLogFormats[] = {LogFormat::text, LogFormat::json};
constexpr std::string_view kRestartModes[] = {"always", "on-failure", "never"};
constexpr std::string_view kIpcModeNames[] = {"json", "advanced", "off"};
constexpr IpcMode kIpcModes[] = {IpcMode::json, IpcMode::advanced, IpcMode::off};

// Longest delay or window accepted anywhere: keeps every deadline far from clock overflow.
constexpr Duration kLongest = 24h;

constexpr std::string_view kArgvExample = "an array of strings such as [\"node\", \"server.js\"]";
constexpr std::string_view kNonEmptyArgv = "a non-empty array of strings such as [\"node\", \"server.js\"]";
constexpr std::string_view kShellExample = "a command line string such as \"node server.js\"";

bool has_nul(std::string_view text) { return text.find('\0') != std::string_view::npos; }

bool valid_env_name(std::string_view name) {
    if (name.empty() || (name[0] >= '0' && name[0] <= '9')) return false;
    for (const char c : name) {
        const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
        if (!ok) return false;
    }
    return true;
}

// A string is a command line for /bin/sh -c and needs shell = true; an array is argv and needs it false.
// When `shell` itself was invalid, either form is accepted so that one mistake gives one message.
void read_command(Diagnostics& diagnostics, TableReader& reader, Field shell_field, ServiceSpec& spec) {
    const toml::node* value = reader.take("command");
    const std::string path = reader.path_of("command");
    if (value == nullptr) {
        diagnostics.error(reader.table().source().begin,
                          "missing required key \"command\" in [" + reader.path() + "] (expected " +
                              std::string(spec.shell ? kShellExample : kArgvExample) + ")");
        return;
    }
    const bool shell_known = shell_field != Field::invalid;
    if (const auto* text = value->as_string()) {
        if (shell_known && !spec.shell) {
            diagnostics.error(*value, "invalid value for " + path +
                                          ": a single string is a shell command line and needs shell = true "
                                          "(expected " + std::string(kArgvExample) + ", got " + describe(*value) + ")");
        } else if (text->get().empty() || has_nul(text->get())) {
            diagnostics.error(*value, invalid("value", path, "a non-empty command line such as \"node server.js\"",
                                              *value));
        } else {
            spec.command = {"/bin/sh", "-c", text->get()};
        }
        return;
    }
    const auto* array = value->as_array();
    if (array == nullptr) {
        diagnostics.error(*value, invalid("value", path, spec.shell ? kShellExample : kArgvExample, *value));
        return;
    }
    if (shell_known && spec.shell) {
        diagnostics.error(*value, "invalid value for " + path +
                                      ": with shell = true the command is one string for /bin/sh -c "
                                      "(expected " + std::string(kShellExample) + ", got " + describe(*value) + ")");
        return;
    }
    if (array->empty()) {
        diagnostics.error(*value, invalid("value", path, kNonEmptyArgv, *value));
        return;
    }
    std::vector<std::string> argv;
    for (std::size_t i = 0; i < array->size(); ++i) {
        const toml::node& element = *array->get(i);
        const auto* text = element.as_string();
        if (text == nullptr || text->get().empty() || has_nul(text->get())) {
            diagnostics.error(element, invalid("value", path + "[" + std::to_string(i) + "]",
                                               "a non-empty string", element));
            continue;
        }
        argv.push_back(text->get());
    }
    spec.command = std::move(argv);
}

void read_cwd(Diagnostics& diagnostics, TableReader& reader, const fs::path& base_dir, ServiceSpec& spec) {
    spec.cwd = base_dir;
    std::string text;
    if (reader.read_string("cwd", "a directory path such as \".\" or \"/srv/api\"", text) != Field::valid) return;
    const toml::node& value = *reader.table().get("cwd");
    const fs::path dir = resolve_path(base_dir, text);
    std::error_code error;
    const fs::file_status status = fs::status(dir, error);
    std::string problem;
    if (status.type() == fs::file_type::not_found) {
        problem = dir.string() + " does not exist";
    } else if (error) {
        problem = "cannot access " + dir.string() + ": " + error.message();
    } else if (!fs::is_directory(status)) {
        problem = dir.string() + " is not a directory";
    }
    if (!problem.empty()) {
        diagnostics.error(value, "invalid directory for " + reader.path_of("cwd") + ": " + problem +
                                     " (expected an existing directory, got " + describe(value) + ")");
        return;
    }
    spec.cwd = dir;
}

void read_env(Diagnostics& diagnostics, TableReader& reader, ServiceSpec& spec) {
    const toml::table* env = reader.read_table("env", "a table such as { NODE_ENV = \"production\" }");
    if (env == nullptr) return;
    const std::string path = reader.path_of("env");
    for (const auto& [key, value] : *env) {
        const std::string_view name = key.str();
        if (!valid_env_name(name)) {
            diagnostics.error(key.source().begin,
                              "invalid environment variable name in [" + path +
                                  "] (expected letters, digits and '_', not starting with a digit, got " +
                                  quote(name) + ")");
            continue;
        }
        std::string text;
        if (const auto* string = value.as_string(); string != nullptr && has_nul(string->get())) {
            diagnostics.error(value, invalid("value", key_path(path, name), "a string without NUL characters", value));
            continue;
        } else if (string != nullptr) {
            text = string->get();
        } else if (const auto* integer = value.as_integer()) {
            text = std::to_string(integer->get());
        } else if (const auto* boolean = value.as_boolean()) {
            text = boolean->get() ? "true" : "false";
        } else {
            diagnostics.error(value, invalid("value", key_path(path, name), "a string, integer or boolean", value));
            continue;
        }
        spec.env.emplace(std::string(name), std::move(text));
    }
}

void read_restart(Diagnostics& diagnostics, TableReader& reader, ServiceSpec& spec) {
    const toml::node* value = reader.take("restart");
    if (value == nullptr) return;
    const auto* text = value->as_string();
    if (text != nullptr) {
        if (const auto mode = policies::restart_mode_from(text->get())) {
            spec.restart = *mode;
            return;
        }
    }
    const std::string message = invalid("value", reader.path_of("restart"),
                                        "one of \"always\", \"on-failure\", \"never\"", *value);
    diagnostics.error(*value, with_suggestion(message, text ? closest_key(text->get(), kRestartModes) : std::nullopt));
}

void read_backoff(Diagnostics& diagnostics, TableReader& reader, ServiceSpec& spec) {
    const toml::table* table = reader.read_table(
        "backoff", "a table such as { initial = \"100ms\", factor = 1.5, max = \"15s\", reset_after = \"30s\" }");
    if (table == nullptr) return;
    TableReader backoff(diagnostics, *table, reader.path_of("backoff"), kBackoffKeys);
    auto& params = spec.backoff;
    const Field initial = backoff.read_duration("initial", 0ms, kLongest, params.initial);
    backoff.read_number("factor", 1.0, 100.0, params.factor);
    const Duration default_max = params.max;
    const Field max = backoff.read_duration("max", 0ms, kLongest, params.max);
    backoff.read_duration("reset_after", 1ms, kLongest, params.reset_after);
    if (max == Field::valid && initial != Field::invalid && params.max < params.initial) {
        const toml::node& value = *table->get("max");
        diagnostics.error(value, invalid("duration", backoff.path_of("max"),
                                         "at least the initial delay of " + duration_as_written(params.initial), value));
    } else if (max == Field::absent && initial == Field::valid && params.initial > default_max) {
        const toml::node& value = *table->get("initial");
        diagnostics.error(value, invalid("duration", backoff.path_of("initial"),
                                         "at most the default max delay of " + duration_as_written(default_max) +
                                             ", or a larger backoff.max",
                                         value));
    }
    backoff.finish();
}

void read_start_limit(Diagnostics& diagnostics, TableReader& reader, ServiceSpec& spec) {
    const toml::table* table = reader.read_table("start_limit", "a table such as { burst = 5, interval = \"10s\" }");
    if (table == nullptr) return;
    TableReader limit(diagnostics, *table, reader.path_of("start_limit"), kStartLimitKeys);
    limit.read_integer("burst", 1, 1'000'000, spec.start_limit.burst);
    limit.read_duration("interval", 0ms, kLongest, spec.start_limit.interval);
    limit.finish();
}

void read_signal(Diagnostics& diagnostics, TableReader& stop, ServiceSpec& spec) {
    const toml::node* value = stop.take("signal");
    if (value == nullptr) return;
    const std::string path = stop.path_of("signal");
    std::optional<int> number;
    std::optional<std::string> suggestion;
    if (const auto* text = value->as_string()) {
        number = policies::signal_from_name(text->get());
        std::string upper = text->get();
        for (char& c : upper) c = (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
        if (!number && policies::signal_from_name(upper)) suggestion = upper;
    } else if (const auto* integer = value->as_integer()) {
        number = policies::signal_from_name(std::to_string(integer->get()));
    }
    if (!number) {
        diagnostics.error(*value, with_suggestion(invalid("signal", path,
                                                          "a signal name or number such as \"SIGTERM\", \"TERM\" or 15",
                                                          *value),
                                                  suggestion));
    } else if (*number == SIGSTOP) {
        diagnostics.error(*value, "invalid signal for " + path +
                                      ": SIGSTOP only pauses a process (expected a signal that ends it, such as "
                                      "\"SIGTERM\", \"SIGINT\" or \"SIGKILL\", got " + describe(*value) + ")");
    } else {
        spec.stop.signal = *number;
    }
}

void read_stop(Diagnostics& diagnostics, TableReader& reader, ServiceSpec& spec) {
    const toml::table* table = reader.read_table("stop", "a table such as { signal = \"SIGTERM\", timeout = \"5s\" }");
    if (table == nullptr) return;
    TableReader stop(diagnostics, *table, reader.path_of("stop"), kStopKeys);
    read_signal(diagnostics, stop, spec);
    stop.read_duration("timeout", 1ms, 1h, spec.stop.timeout);
    stop.finish();
}

void read_logs(Diagnostics& diagnostics, TableReader& reader, ServiceSpec& spec) {
    const toml::table* table = reader.read_table("logs", "a table such as { max_size = \"10MiB\", keep = 5 }");
    if (table == nullptr) return;
    TableReader logs(diagnostics, *table, reader.path_of("logs"), kLogKeys);
    logs.read_size("max_size", 4096, spec.logs.max_size);
    logs.read_integer("keep", 0, 1000, spec.logs.keep);
    logs.read_bool("timestamps", spec.logs.timestamps);
    read_choice(diagnostics, logs, "format", kLogFormatNames, kLogFormats, spec.logs.format);
    logs.finish();
}

// "json", "advanced" or "off"; the other services are checked against it with the routes (route_fields.hpp).
void read_ipc(Diagnostics& diagnostics, TableReader& reader, ServiceSpec& spec) {
    const toml::node* value = reader.take("ipc");
    if (value == nullptr) return;
    const auto* text = value->as_string();
    if (text != nullptr) {
        if (const auto mode = ipc_mode_from(text->get())) {
            spec.ipc = *mode;
            return;
        }
    }
    const std::string message =
        invalid("value", reader.path_of("ipc"), "one of \"json\", \"advanced\", \"off\"", *value);
    diagnostics.error(*value, with_suggestion(message, text ? closest_key(text->get(), kIpcModeNames) : std::nullopt));
}

}  // namespace

std::optional<IpcMode> ipc_mode_from(std::string_view name) {
    for (std::size_t i = 0; i < std::size(kIpcModeNames); ++i) {
        if (name == kIpcModeNames[i]) return kIpcModes[i];
    }
    return std::nullopt;
}

std::string_view ipc_mode_name(IpcMode mode) {
    for (std::size_t i = 0; i < std::size(kIpcModes); ++i) {
        if (mode == kIpcModes[i]) return kIpcModeNames[i];
    }
    return "json";
}

fs::path resolve_path(const fs::path& base_dir, std::string_view text) {
    fs::path path = (base_dir / fs::path(text)).lexically_normal();
    if (!path.has_filename() && path.has_relative_path()) path = path.parent_path();
    return path;
}

ServiceSpec read_service(Diagnostics& diagnostics, const toml::table& table, const std::string& path,
                         const fs::path& base_dir) {
    ServiceSpec spec;
    TableReader reader(diagnostics, table, path, kServiceKeys);
    const Field shell = reader.read_bool("shell", spec.shell);
    read_command(diagnostics, reader, shell, spec);
    read_cwd(diagnostics, reader, base_dir, spec);
    read_env(diagnostics, reader, spec);
    reader.read_integer("instances", 1, 1024, spec.instances);
    read_restart(diagnostics, reader, spec);
    read_backoff(diagnostics, reader, spec);
    read_start_limit(diagnostics, reader, spec);
    read_stop(diagnostics, reader, spec);
    read_logs(diagnostics, reader, spec);
    read_limits(diagnostics, reader, spec.limits, spec.memory_watch);
    reader.read_bool("node_diagnostics", spec.node_diagnostics);
    reader.read_bool("node_agent", spec.node_agent);
    reader.read_bool("standby", spec.standby);
    read_ipc(diagnostics, reader, spec);
    reader.read_string("parent", "the name of another service such as \"api\"", spec.parent);
    read_cooling(diagnostics, reader, spec, spec.cooling);
    read_throttle(diagnostics, reader, spec.throttle);
    read_listen(diagnostics, reader, base_dir, spec.listen);
    read_ready(diagnostics, reader, spec);
    read_rollout(diagnostics, reader, spec.rollout);
    read_liveness(diagnostics, reader, spec, spec.liveness);
    reader.finish();
    check_ready(diagnostics, table, path, spec);
    check_exec_size(diagnostics, table, path, spec, exec_limits_here());
    return spec;
}

}  // namespace corral::config
