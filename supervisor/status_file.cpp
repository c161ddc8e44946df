#include "supervisor/status_file.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "policies/signal_names.hpp"
#include "supervisor/postmortem/bundle_writer.hpp"

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
            {"at", postmortem::iso_utc(last->at)},
            {"postmortem", last->postmortem.empty() ? nlohmann::json(nullptr) : nlohmann::json(last->postmortem)},
        };
    } else {
        status["last_exit"] = nullptr;
    }
    status["exits"] = instance.exits_by_reason();
    return status;
}

bool write_file_atomically(const std::filesystem::path& file, const std::string& text) {
    const std::string temp = file.string() + ".tmp";
    const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        spdlog::error("cannot write {}: {}", temp, std::strerror(errno));
        return false;
    }
    const bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
    const int err = errno;
    ::close(fd);
    if (!written || ::rename(temp.c_str(), file.c_str()) != 0) {
        spdlog::error("cannot write {}: {}", file.string(), std::strerror(written ? errno : err));
        ::unlink(temp.c_str());
        return false;
    }
    return true;
}

bool write_status_file(const std::filesystem::path& file, const std::vector<const Instance*>& instances) {
    const auto now = policies::Clock::now();
    nlohmann::json doc = {{"pid", ::getpid()}, {"instances", nlohmann::json::array()}};
    for (const Instance* instance : instances) doc["instances"].push_back(instance_status(*instance, now));
    return write_file_atomically(file, doc.dump(2) + "\n");
}

}  // namespace corral::supervisor
