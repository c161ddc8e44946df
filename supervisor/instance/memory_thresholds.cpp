#include "supervisor/instance/memory_thresholds.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace corral::supervisor {

MemoryThresholds::MemoryThresholds(uv_loop_t* loop, cgroup::Driver& driver, std::string instance, std::string group,
                                   std::function<void()> crossed)
    : loop_(loop),
      driver_(driver),
      instance_(std::move(instance)),
      group_(std::move(group)),
      crossed_(std::move(crossed)) {}

std::vector<std::uint64_t> MemoryThresholds::armed() const {
    std::vector<std::uint64_t> bytes;
    for (const auto& armed : armed_) bytes.push_back(armed->bytes);
    return bytes;
}

bool MemoryThresholds::arm(std::vector<std::uint64_t> bytes) {
    std::sort(bytes.begin(), bytes.end());
    bytes.erase(std::unique(bytes.begin(), bytes.end()), bytes.end());
    if (bytes == armed()) return true;
    std::erase_if(armed_, [&](const auto& armed) { return !std::binary_search(bytes.begin(), bytes.end(), armed->bytes); });
    for (const std::uint64_t threshold : bytes) {
        if (std::any_of(armed_.begin(), armed_.end(), [&](const auto& armed) { return armed->bytes == threshold; })) continue;
        Result<int> fd = driver_.open_threshold(group_, threshold);
        if (!fd) {
            if (fd.error().code != ENOTSUP || !unsupported_logged_) {
                spdlog::debug("{}: memory thresholds are found by sampling: {}", instance_, fd.error().message());
            }
            unsupported_logged_ = unsupported_logged_ || fd.error().code == ENOTSUP;
            return false;
        }
        auto armed = std::make_unique<Armed>();
        armed->bytes = threshold;
        armed->event.reset(*fd);
        if (armed->poll.init(uv_poll_init, loop_, armed->event.get()) != 0) return false;
        armed->poll.get()->data = this;
        uv_poll_start(armed->poll.get(), UV_READABLE, on_ready);
        armed_.push_back(std::move(armed));
    }
    return true;
}

void MemoryThresholds::on_ready(uv_poll_t* poll, int, int) {
    auto* self = static_cast<MemoryThresholds*>(poll->data);
    uv_os_fd_t fd = -1;
    if (uv_fileno(reinterpret_cast<const uv_handle_t*>(poll), &fd) == 0) {
        std::uint64_t count = 0;  // the eventfd's counter: reading it rearms the poll
        [[maybe_unused]] const ssize_t n = ::read(fd, &count, sizeof count);
    }
    self->crossed_();  // may re-arm, closing this very handle: nothing below touches it
}

}  // namespace corral::supervisor
