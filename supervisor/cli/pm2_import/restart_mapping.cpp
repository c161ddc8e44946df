// autorestart, stop_exit_codes, restart_delay, exp_backoff_restart_delay, max_restarts, min_uptime,
// kill_timeout -> restart, backoff, start_limit, stop.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <set>

#include "base/text_format.hpp"
#include "supervisor/cli/pm2_import/app_mapper.hpp"
#include "supervisor/cli/pm2_import/pm2_values.hpp"

namespace corral::pm2 {
namespace {

using std::chrono::milliseconds;
using namespace std::chrono_literals;

constexpr milliseconds kLongest = 24h;  // the loader's bound on delays and windows

// The backoff as it will be written: corral's defaults unless pm2 set a delay.
struct Backoff {
    milliseconds initial = 100ms;
    double factor = 1.5;
    milliseconds max = 15s;
    bool written = false;
};

std::string duration(milliseconds d) { return duration_as_written(d); }

void set_restart(AppMapper& mapper, const char* mode) { mapper.service().fields.insert_or_assign("restart", mode); }

bool is_never(AppMapper& mapper) {
    const auto* mode = mapper.service().fields.get_as<std::string>("restart");
    return mode != nullptr && mode->get() == "never";
}

void map_restart_mode(AppMapper& mapper) {
    const nlohmann::json* autorestart = mapper.take("autorestart");
    if (autorestart != nullptr && (*autorestart == false || is_text(*autorestart, "false"))) set_restart(mapper, "never");
    const nlohmann::json* codes = mapper.take("stop_exit_codes");
    if (codes == nullptr || is_never(mapper)) return;
    std::set<std::int64_t> stop_codes;
    for (const auto& code : codes->is_array() ? *codes : nlohmann::json::array({*codes})) {
        if (const auto number = integer_value(code)) stop_codes.insert(*number);
    }
    if (stop_codes.count(0) == 0) {
        mapper.unmapped("stop_exit_codes", "corral's restart = \"on-failure\" leaves only exit code 0 stopped: exit "
                                           "with 0 where the app must stay down");
        return;
    }
    set_restart(mapper, "on-failure");
    if (stop_codes.size() > 1) {
        mapper.approximate("stop_exit_codes", "restart", "on-failure: exit code 0 stays stopped, but the other "
                                                         "stop_exit_codes are restarted (corral cannot list codes)");
    }
}

Backoff map_backoff(AppMapper& mapper) {
    Backoff backoff;
    const nlohmann::json* fixed = mapper.take("restart_delay");
    const nlohmann::json* exponential = mapper.take("exp_backoff_restart_delay");
    const nlohmann::json* chosen = exponential != nullptr ? exponential : fixed;
    if (chosen == nullptr) return backoff;
    const std::string_view key = exponential != nullptr ? "exp_backoff_restart_delay" : "restart_delay";
    const auto delay = time_value(*chosen);
    if (!delay) {
        mapper.invalid(key, *chosen, "milliseconds");
        return backoff;
    }
    backoff.initial = std::min(*delay, kLongest);
    backoff.factor = exponential != nullptr ? 1.5 : 1.0;
    backoff.max = exponential != nullptr ? std::max(backoff.initial, milliseconds(15s)) : backoff.initial;
    backoff.written = true;
    toml::table table{{"initial", duration(backoff.initial)}, {"factor", backoff.factor}, {"max", duration(backoff.max)}};
    table.is_inline(true);
    mapper.service().fields.insert_or_assign("backoff", std::move(table));
    if (exponential != nullptr && fixed != nullptr) {
        mapper.approximate("restart_delay", "backoff", "pm2 uses exp_backoff_restart_delay over restart_delay");
    }
    return backoff;
}

// How long `burst` restarts in a row take when each incarnation dies just before min_uptime.
milliseconds crash_loop_span(const Backoff& backoff, std::int64_t burst, milliseconds min_uptime) {
    double total = 0;
    double delay = static_cast<double>(backoff.initial.count());
    for (std::int64_t k = 0; k < burst && total < static_cast<double>(kLongest.count()); ++k) {
        total += static_cast<double>(min_uptime.count()) + std::min(delay, static_cast<double>(backoff.max.count()));
        delay *= backoff.factor;
    }
    const auto seconds = static_cast<std::int64_t>(std::ceil(total / 1000.0));  // whole seconds, rounded up
    return std::clamp(milliseconds(seconds * 1000), milliseconds(1s), kLongest);
}

void map_start_limit(AppMapper& mapper, const Backoff& backoff) {
    const nlohmann::json* restarts = mapper.take("max_restarts");
    const nlohmann::json* uptime = mapper.take("min_uptime");
    if (restarts == nullptr && uptime == nullptr) return;
    auto burst = restarts != nullptr ? integer_value(*restarts) : std::optional<std::int64_t>(16);
    auto min_uptime = uptime != nullptr ? time_value(*uptime) : std::optional<milliseconds>(1000ms);
    if (!burst || *burst < 0) return mapper.invalid("max_restarts", *restarts, "a whole number");
    if (!min_uptime) return mapper.invalid("min_uptime", *uptime, "milliseconds, or a number and h, m or s");
    if (*burst == 0) {  // pm2 stops the app at its first exit
        if (!is_never(mapper)) set_restart(mapper, "never");
        mapper.approximate("max_restarts", "restart", "never: pm2's max_restarts = 0 restarts nothing");
        return;
    }
    const std::int64_t written_burst = std::min<std::int64_t>(*burst, 1'000'000);
    const milliseconds interval = crash_loop_span(backoff, written_burst, *min_uptime);
    toml::table limit{{"burst", written_burst}, {"interval", duration(interval)}};
    limit.is_inline(true);
    mapper.service().fields.insert_or_assign("start_limit", std::move(limit));
    mapper.approximate("max_restarts", "start_limit",
                       "pm2 gives up after max_restarts exits that each came within min_uptime (" +
                           duration(*min_uptime) + ") of their start; corral after burst restarts within interval, "
                           "whatever their uptime: interval is how long " + std::to_string(written_burst) +
                           " such exits take with the backoff delays");
    if (backoff.factor == 1.0 || !backoff.written) {
        if (auto* table = mapper.service().fields.get_as<toml::table>("backoff")) {
            table->insert_or_assign("reset_after", duration(std::max(*min_uptime, milliseconds(1ms))));
        } else {
            toml::table reset{{"reset_after", duration(std::max(*min_uptime, milliseconds(1ms)))}};
            reset.is_inline(true);
            mapper.service().fields.insert_or_assign("backoff", std::move(reset));
        }
        mapper.note("backoff", "reset_after = min_uptime: an incarnation that lived that long starts the delays over");
    }
}

void map_stop(AppMapper& mapper) {
    toml::table stop{{"signal", "SIGINT"}};
    stop.is_inline(true);
    mapper.note("stop", "pm2 stops apps with SIGINT (corral's default is SIGTERM)");
    if (const nlohmann::json* timeout = mapper.take("kill_timeout")) {
        const auto ms = time_value(*timeout);
        if (!ms) mapper.invalid("kill_timeout", *timeout, "milliseconds");
        else stop.insert_or_assign("timeout", duration(std::clamp(*ms, milliseconds(1ms), milliseconds(1h))));
    }
    mapper.service().fields.insert_or_assign("stop", std::move(stop));
}

}  // namespace

void map_restarts(AppMapper& mapper) {
    map_restart_mode(mapper);
    const Backoff backoff = map_backoff(mapper);
    map_start_limit(mapper, backoff);
    map_stop(mapper);
}

}  // namespace corral::pm2
