// Every pm2 key that no mapping consumed, with what to do instead. A key whose value asks for what corral
// does anyway (watch: false, treekill: true) is accepted quietly.
#include <string_view>

#include "supervisor/cli/pm2_import/app_mapper.hpp"
#include "supervisor/cli/pm2_import/pm2_values.hpp"

namespace corral::pm2 {
namespace {

enum class Quiet { never, when_false, when_true, always };

struct Advice {
    std::string_view key;
    Quiet quiet;
    std::string_view what_to_do;
};

constexpr std::string_view kWatch = "corral does not watch files: restart from your build or a file watcher "
                                    "(`watchexec -r -- corral restart NAME`), or `corral reload NAME` to roll";
constexpr std::string_view kOut = "corral writes stdout to <state_dir>/logs/NAME-<index>.out.log (rotated by "
                                  "logs.max_size and logs.keep): read it with `corral logs NAME`";
constexpr std::string_view kErr = "corral writes stderr to <state_dir>/logs/NAME-<index>.err.log (rotated by "
                                  "logs.max_size and logs.keep): read it with `corral logs NAME`";
constexpr std::string_view kPm2Io = "a PM2.io (Keymetrics) feature: no equivalent, drop it";
constexpr std::string_view kUser = "corral runs services as the daemon's user: run corral as that user (systemd User=/Group=)";

constexpr Advice kAdvice[] = {
    {"watch", Quiet::when_false, kWatch},
    {"ignore_watch", Quiet::never, kWatch},
    {"watch_options", Quiet::never, kWatch},
    {"watch_delay", Quiet::never, kWatch},
    {"out_file", Quiet::never, kOut}, {"out", Quiet::never, kOut}, {"output", Quiet::never, kOut},
    {"out_log", Quiet::never, kOut},
    {"error_file", Quiet::never, kErr}, {"error", Quiet::never, kErr}, {"err", Quiet::never, kErr},
    {"err_file", Quiet::never, kErr}, {"err_log", Quiet::never, kErr},
    {"log_file", Quiet::when_false, "corral keeps stdout and stderr apart; `corral logs NAME` shows both"},
    {"log", Quiet::when_false, "corral keeps stdout and stderr apart; `corral logs NAME` shows both"},
    {"merge_logs", Quiet::when_false, "corral keeps one log per instance; `corral logs NAME` reads every instance's"},
    {"combine_logs", Quiet::when_false, "corral keeps one log per instance; `corral logs NAME` reads every instance's"},
    {"log_type", Quiet::never, "corral's log lines are the app's own lines (with logs.timestamps, a time before each)"},
    {"disable_logs", Quiet::when_false, "corral always keeps logs: bound them with logs.max_size and logs.keep"},
    {"pid_file", Quiet::never, "`corral status --json` lists every instance's pid"},
    {"pid", Quiet::never, "`corral status --json` lists every instance's pid"},
    {"cron_restart", Quiet::never, "corral has no cron: run `corral restart NAME` from a systemd timer or crontab"},
    {"cron", Quiet::never, "corral has no cron: run `corral restart NAME` from a systemd timer or crontab"},
    {"namespace", Quiet::never, "corral has no namespaces: one service file (one daemon) per group of services"},
    {"post_update", Quiet::never, "run these commands in your deploy script, then `corral reload`"},
    {"vizion", Quiet::when_false, kPm2Io}, {"automation", Quiet::when_false, kPm2Io},
    {"pmx", Quiet::when_false, kPm2Io}, {"trace", Quiet::when_false, kPm2Io},
    {"disable_trace", Quiet::when_true, kPm2Io}, {"v8", Quiet::when_false, kPm2Io},
    {"event_loop_inspector", Quiet::when_false, kPm2Io}, {"deep_monitoring", Quiet::when_false, kPm2Io},
    {"io", Quiet::never, kPm2Io}, {"install_url", Quiet::never, kPm2Io},
    {"source_map_support", Quiet::when_false, "add --enable-source-maps to the node command (Node's own source maps)"},
    {"disable_source_map_support", Quiet::when_true, "corral adds no source map support: nothing to disable"},
    {"increment_var", Quiet::never, "corral sets CORRAL_INSTANCE (0, 1, ...) in each instance: derive the value from "
                                    "it, e.g. 3000 + Number(process.env.CORRAL_INSTANCE)"},
    {"instance_var", Quiet::never, "corral's instance index is CORRAL_INSTANCE (pm2: NODE_APP_INSTANCE): read that"},
    {"uid", Quiet::never, kUser}, {"user", Quiet::never, kUser}, {"gid", Quiet::never, kUser},
    {"username", Quiet::always, ""},
    {"treekill", Quiet::when_true, "corral always signals the instance's whole process group and cgroup"},
    {"kill_retry_time", Quiet::never, "corral sends SIGKILL once, after stop.timeout"},
    {"shutdown_with_message", Quiet::when_false, "corral stops with a signal (stop.signal = \"SIGINT\" here): "
                                                 "handle process.on(\"SIGINT\") like the \"shutdown\" message"},
    {"autostart", Quiet::when_true, "corral starts every service at `corral up`: `corral stop NAME` after it"},
    {"force", Quiet::always, ""},
    {"append_env_to_name", Quiet::when_false, "corral's names are the file's: rename the service"},
    {"name_prefix", Quiet::never, "corral's names are the file's: rename the service"},
    {"filter_env", Quiet::when_false, "corral passes its own environment on: start corral with a clean one "
                                      "(env -i, or systemd's unit environment)"},
    {"windowsHide", Quiet::always, ""},
    {"write", Quiet::always, ""},
    {"execute_command", Quiet::always, ""},
};

bool quiet(Quiet rule, const nlohmann::json& value) {
    switch (rule) {
        case Quiet::always: return true;
        case Quiet::when_false: return value == false || is_text(value, "false") || value.is_null();
        case Quiet::when_true: return value == true || is_text(value, "true");
        case Quiet::never: return false;
    }
    return false;
}

}  // namespace

void report_unmapped(AppMapper& mapper) {
    for (const auto& [key, value] : mapper.app().items()) {
        if (mapper.consumed(key)) continue;
        const Advice* advice = nullptr;
        for (const auto& entry : kAdvice) {
            if (entry.key == key) advice = &entry;
        }
        if (advice == nullptr) {
            mapper.unmapped(key, "not a pm2 option (pm2's lib/API/schema.json lists them): ignored");
        } else if (!quiet(advice->quiet, value)) {
            mapper.unmapped(key, std::string(advice->what_to_do));
        }
    }
}

}  // namespace corral::pm2
