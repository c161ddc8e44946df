#include "supervisor/daemon/status_file.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cmath>

#include "base/file_text.hpp"
#include "base/text_format.hpp"
#include "policies/signal_names.hpp"

namespace corral::supervisor {

nlohmann::json instance_status(const Instance& instance, policies::TimePoint now) {
    nlohmann::json status = {
        {"service", instance.spec().name},
        {"index", instance.index()},
        {"state", std::string(policies::to_string(instance.state()))},
        {"pid", instance.pid() > 0 ? nlohmann::json(instance.pid()) : nlohmann::json(nullptr)},
        {"restarts", instance.restarts()},
    };
    const bool up = instance.pid() > 0;
    status["uptime_ms"] = up ? nlohmann::json(std::chrono::duration_cast<std::chrono::milliseconds>(
                                                  now - instance.started_at())
                                                  .count())
                             : nlohmann::json(nullptr);
    const std::string group = instance.cgroup_name();
    status["cgroup"] = group.empty() ? nlohmann::json(nullptr) : nlohmann::json(group);
    // Exec'd and not ready yet: what it waits for ("accepting on 0 of 1 socket(s)", "last probe: ...").
    const auto waiting = instance.waiting_until_ready();
    status["waiting_until_ready"] = waiting ? nlohmann::json(*waiting) : nlohmann::json(nullptr);
    if (const auto& memory = instance.memory()) {
        status["memory"] = {
            {"current", memory->current},   {"peak", memory->peak},
            {"max", memory->max ? nlohmann::json(*memory->max) : nlohmann::json(nullptr)},
            {"anon", memory->anon},         {"file", memory->file},
            {"dirty", memory->dirty},       {"writeback", memory->writeback},
            {"refault_anon", memory->refault_anon}, {"refault_file", memory->refault_file},
            {"oom_kills", memory->oom_kills}, {"limit_hits", memory->limit_hits},
        };
    } else {
        status["memory"] = nullptr;
    }
    if (const auto& last = instance.last_exit()) {
        status["last_exit"] = {
            {"reason", std::string(policies::to_string(last->reason))},
            {"code", last->status.signal == 0 && !last->status.spawn_failed ? nlohmann::json(last->status.code)
                                                                            : nlohmann::json(nullptr)},
            {"signal", last->status.signal != 0 ? nlohmann::json(policies::signal_name(last->status.signal))
                                                : nlohmann::json(nullptr)},
            {"at", iso_utc(last->at)},
            {"postmortem", last->postmortem.empty() ? nlohmann::json(nullptr) : nlohmann::json(last->postmortem)},
            // A death of a crash loop counted instead of bundled: its window's bundle and the count so far.
            {"postmortem_window", last->counted_in_window == 0
                                      ? nlohmann::json(nullptr)
                                      : nlohmann::json{{"postmortem", last->window_postmortem.empty()
                                                                         ? nlohmann::json(nullptr)
                                                                         : nlohmann::json(last->window_postmortem)},
                                                       {"deaths_counted", last->counted_in_window}}},
        };
    } else {
        status["last_exit"] = nullptr;
    }
    const auto cpu = instance.cpu_percent();
    status["cpu_percent"] = cpu ? nlohmann::json(std::round(*cpu * 10) / 10) : nlohmann::json(nullptr);
    status["exits"] = instance.exits_by_reason();
    status["postmortems_skipped"] = instance.postmortems_skipped();
    return status;
}

bool StatusFile::write(const std::vector<const Instance*>& instances) {
    const auto now = policies::Clock::now();
    nlohmann::json doc = {{"pid", ::getpid()},
                           {"written_at", iso_utc(std::chrono::system_clock::now())},
                           {"instances", nlohmann::json::array()}};
    for (const Instance* instance : instances) doc["instances"].push_back(instance_status(*instance, now));
    const Status written = write_file_atomically(file_, doc.dump(2) + "\n");
    if (written) {
        if (const policies::ThrottleVerdict verdict = throttle_.succeeded(); verdict.log) {
            spdlog::info("{} is written again", file_.string());
        }
        return true;
    }
    const SysError& error = written.error();
    const policies::ThrottleVerdict verdict = throttle_.failed(std::to_string(error.code), now);
    if (verdict.log) {
        spdlog::error("{}{}", error.message(),
                      verdict.suppressed > 0 ? fmt::format(" ({} more failure(s) since the last report)", verdict.suppressed)
                                             : std::string("; status.json keeps its last contents, next report in a minute "
                                                           "unless the error changes"));
    }
    return false;
}

}  // namespace corral::supervisor
