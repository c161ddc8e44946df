#include "supervisor/instance/memory_thresholds.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace corral::supervisor {

struct MemoryThresholds::Registration {
    uv_work_t work{};
    MemoryThresholds* owner = nullptr;  // null once the owner is gone
    std::uint64_t id = 0;
    cgroup::ThresholdRegistration kernel;
    Status written;
};

MemoryThresholds::MemoryThresholds(uv_loop_t* loop, cgroup::Driver& driver, std::string instance, std::string group,
                                   std::function<void()> crossed, std::function<void(bool)> registered)
    : loop_(loop),
      driver_(driver),
      instance_(std::move(instance)),
      group_(std::move(group)),
      crossed_(std::move(crossed)),
      registered_(std::move(registered)) {}

MemoryThresholds::~MemoryThresholds() {
    for (Registration* registration : in_flight_) registration->owner = nullptr;
}

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
        Result<cgroup::ThresholdRegistration> prepared = driver_.prepare_threshold(group_, threshold);
        if (!prepared) {
            if (prepared.error().code != ENOTSUP || !unsupported_logged_) {
                spdlog::debug("{}: memory thresholds are found by sampling: {}", instance_, prepared.error().message());
            }
            unsupported_logged_ = unsupported_logged_ || prepared.error().code == ENOTSUP;
            return false;
        }
        // The loop polls its own descriptor of the eventfd; the registration keeps the one its line names.
        auto armed = std::make_unique<Armed>();
        armed->bytes = threshold;
        armed->id = next_id_++;
        armed->event.reset(::fcntl(prepared->event.get(), F_DUPFD_CLOEXEC, 0));
        if (!armed->event || armed->poll.init(uv_poll_init, loop_, armed->event.get()) != 0) return false;
        armed->poll.get()->data = this;
        auto registration = std::make_unique<Registration>();
        registration->owner = this;
        registration->id = armed->id;
        registration->kernel = std::move(*prepared);
        registration->work.data = registration.get();
        if (uv_queue_work(loop_, &registration->work, on_register, on_registered) != 0) return false;
        in_flight_.push_back(registration.release());
        uv_poll_start(armed->poll.get(), UV_READABLE, on_ready);
        armed_.push_back(std::move(armed));
    }
    return true;
}

// On the thread pool.
void MemoryThresholds::on_register(uv_work_t* work) {
    auto* registration = static_cast<Registration*>(work->data);
    registration->written = cgroup::register_threshold(registration->kernel);
}

void MemoryThresholds::on_registered(uv_work_t* work, int) {
    std::unique_ptr<Registration> registration(static_cast<Registration*>(work->data));
    if (registration->owner != nullptr) registration->owner->registered(*registration);
}  // its descriptors close here: a threshold disarmed meanwhile ends with them

void MemoryThresholds::registered(Registration& registration) {
    std::erase(in_flight_, &registration);
    if (!registration.written) {
        spdlog::debug("{}: a memory threshold is not watched: {}", instance_, registration.written.error().message());
        std::erase_if(armed_, [&](const auto& armed) { return armed->id == registration.id; });
        failed_ = true;
    }
    if (!in_flight_.empty()) return;
    const bool ok = !std::exchange(failed_, false);
    if (registered_) registered_(ok);  // may re-arm
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
