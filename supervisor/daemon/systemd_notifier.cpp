#include "supervisor/daemon/systemd_notifier.hpp"

#include <spdlog/spdlog.h>
#include <systemd/sd-daemon.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <cstring>
#include <ctime>

namespace corral::supervisor {

using policies::State;

namespace {

std::string_view state_words(State state) {
    return state == State::backoff ? "in backoff" : policies::to_string(state);
}

uint64_t monotonic_usec() {
    timespec now{};
    ::clock_gettime(CLOCK_MONOTONIC, &now);
    return static_cast<uint64_t>(now.tv_sec) * 1'000'000 + static_cast<uint64_t>(now.tv_nsec) / 1'000;
}

}  // namespace

std::string notify_summary(std::size_t services, std::span<const State> states) {
    std::array<std::size_t, policies::kStateCount> counts{};
    for (const State state : states) ++counts[static_cast<std::size_t>(state)];
    std::string text = std::to_string(services) + (services == 1 ? " service" : " services");
    const char* separator = ": ";
    for (std::size_t i = 0; i < counts.size(); ++i) {
        if (counts[i] == 0) continue;
        text += separator + std::to_string(counts[i]) + " " + std::string(state_words(static_cast<State>(i)));
        separator = ", ";
    }
    if (states.empty()) text += ": no instances";
    return text;
}

SystemdNotifier::SystemdNotifier(uv_loop_t* loop, std::function<std::string()> summary)
    : loop_(loop), summary_(std::move(summary)) {
    const char* socket = std::getenv("NOTIFY_SOCKET");
    enabled_ = socket != nullptr && *socket != '\0';
    if (!enabled_) return;
    for (auto* timer : {&status_timer_, &watchdog_timer_}) {
        if (const int rc = timer->init(uv_timer_init, loop); rc < 0) {
            spdlog::warn("systemd: cannot create a timer: {}", uv_strerror(rc));
            continue;
        }
        timer->get()->data = this;
        uv_unref(timer->base());  // the daemon's own handles decide when its loop ends
    }
    uint64_t usec = 0;
    if (const int rc = sd_watchdog_enabled(0, &usec); rc < 0) {
        spdlog::warn("systemd: the watchdog settings are not usable: {}", std::strerror(-rc));
    } else if (rc > 0 && watchdog_timer_) {
        const uint64_t every = std::max<uint64_t>(usec / 2 / 1'000, 1);
        spdlog::info("systemd: watchdog every {} ms (WatchdogSec is {} ms)", every, usec / 1'000);
        uv_timer_start(watchdog_timer_.get(), on_watchdog, every, every);
    }
}

void SystemdNotifier::ready() {
    if (!awaiting_ready_) return;
    awaiting_ready_ = false;
    was_ready_ = true;
    last_status_ = summary_();
    status_sent_at_ = uv_now(loop_);
    spdlog::debug("systemd: ready ({})", last_status_);
    send("READY=1\nSTATUS=" + last_status_);
}

void SystemdNotifier::reloading() {
    if (!enabled_ || !was_ready_ || stopping_) return;
    send("RELOADING=1\nMONOTONIC_USEC=" + std::to_string(monotonic_usec()) + "\nSTATUS=reloading");
    last_status_ = "reloading";
}

void SystemdNotifier::stopping() {
    if (!enabled_ || stopping_) return;
    stopping_ = true;
    awaiting_ready_ = false;
    send("STOPPING=1\nSTATUS=stopping");
    last_status_ = "stopping";
}

// Several changes in one second make one message.
void SystemdNotifier::changed() {
    if (!enabled_ || stopping_ || !status_timer_ || uv_is_active(status_timer_.base())) return;
    const uint64_t now = uv_now(loop_);
    const uint64_t due = status_sent_at_ + kStatusEveryMs;
    uv_timer_start(status_timer_.get(), on_status, status_sent_at_ != 0 && due > now ? due - now : 0, 0);
}

void SystemdNotifier::close() {
    status_timer_.close();
    watchdog_timer_.close();
}

void SystemdNotifier::on_status(uv_timer_t* timer) { static_cast<SystemdNotifier*>(timer->data)->send_status(); }

void SystemdNotifier::on_watchdog(uv_timer_t* timer) { static_cast<SystemdNotifier*>(timer->data)->send("WATCHDOG=1"); }

void SystemdNotifier::send_status() {
    if (stopping_) return;
    std::string status = summary_();
    if (status == last_status_) return;
    status_sent_at_ = uv_now(loop_);
    last_status_ = std::move(status);
    send("STATUS=" + last_status_);
}

void SystemdNotifier::send(const std::string& message) {
    const int rc = sd_notify(0, message.c_str());
    if (rc >= 0) return;
    if (!complained_) {
        spdlog::warn("systemd: cannot notify NOTIFY_SOCKET: {}", std::strerror(-rc));
        complained_ = true;
    } else {
        spdlog::debug("systemd: cannot notify: {}", std::strerror(-rc));
    }
}

}  // namespace corral::supervisor
