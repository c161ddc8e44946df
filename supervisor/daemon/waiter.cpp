#include "supervisor/daemon/waiter.hpp"

#include <spdlog/spdlog.h>

#include <chrono>

#include "base/text_format.hpp"

namespace corral::supervisor {

using nlohmann::json;
using policies::WaitProgress;

namespace {

std::string result_of(const policies::WaitItem& item) {
    if (item.already) return "already";
    return std::string(policies::to_string(item.progress));
}

policies::State state_of(const Waiter::Item& item) {
    return item.instance != nullptr ? item.instance->state() : item.wait.state;
}

json outcome(const Waiter::Item& item) {
    const pid_t pid = item.instance != nullptr ? item.instance->pid() : 0;
    return {{"instance", item.name},
            {"result", result_of(item.wait)},
            {"state", std::string(policies::to_string(state_of(item)))},
            {"pid", pid > 0 ? json(pid) : json(nullptr)},
            {"reason", item.wait.reason}};
}

}  // namespace

Waiter::Waiter(uv_loop_t* loop, ControlConnection& client, std::int64_t id, json result, std::vector<Item> items,
               std::optional<policies::Duration> timeout)
    : loop_(loop),
      client_(client),
      id_(id),
      result_(std::move(result)),
      items_(std::move(items)),
      timeout_(timeout),
      started_(policies::Clock::now()) {}

void Waiter::start() {
    conclude();
    if (finished_) return;
    if (const int rc = timer_.init(uv_timer_init, loop_); rc < 0) {
        // No heartbeats and no timeout: the wait still ends with its instances.
        spdlog::warn("control: a waiting request gets no timer: {}", uv_strerror(rc));
        return;
    }
    timer_.get()->data = this;
    arm();
}

void Waiter::transition(const Instance& instance, policies::State from, policies::State to,
                        const std::string& reason, bool has_process, const json& event) {
    bool ours = false;
    for (Item& item : items_) {
        if (item.instance != &instance) continue;
        ours = true;
        policies::on_transition(item.wait, from, to, reason, has_process);
    }
    if (!ours || finished_) return;
    client_.progress(id_, event);
    conclude();
}

void Waiter::recheck(const Instance& instance) {
    bool ours = false;
    for (Item& item : items_) {
        if (item.instance != &instance) continue;
        ours = true;
        policies::on_recheck(item.wait, instance.state(), instance.pid() > 0);
    }
    if (ours) conclude();
}

void Waiter::removed(const Instance& instance) {
    bool ours = false;
    for (Item& item : items_) {
        if (item.instance != &instance) continue;
        ours = true;
        item.wait.state = instance.state();
        item.instance = nullptr;
        policies::on_removed(item.wait);
    }
    if (ours) conclude();
}

void Waiter::client_gone() { finish(); }

void Waiter::abandon(protocol::ErrorCode code, const std::string& why) {
    if (finished_) return;
    const std::string pending = pending_text();
    client_.fail(id_, code, pending.empty() ? why : why + "; still waiting for " + pending, details());
    finish();
}

// Replies once the verdict is in.
void Waiter::conclude() {
    if (finished_) return;
    std::vector<policies::WaitItem> waits;
    for (const Item& item : items_) waits.push_back(item.wait);
    switch (policies::verdict(waits)) {
        case policies::Verdict::waiting: return;
        case policies::Verdict::done: client_.reply(id_, details()); break;
        case policies::Verdict::failed: {
            std::string message;
            for (const Item& item : items_) {
                if (item.wait.progress != WaitProgress::failed) continue;
                message += (message.empty() ? "" : "; ") + item.name + ": " + item.wait.reason;
            }
            client_.fail(id_, protocol::ErrorCode::wait_failed, message, details());
            break;
        }
    }
    finish();
}

void Waiter::finish() {
    finished_ = true;
    timer_.close();
}

void Waiter::on_timer(uv_timer_t* timer) { static_cast<Waiter*>(timer->data)->alarm(); }

// The alarm that was armed, whatever the clock says now: a timer may fire a little before its time
// (libuv counts from the loop's cached time), and the same alarm must not come twice.
void Waiter::alarm() {
    if (alarm_.kind == policies::WaitAlarm::Kind::deadline) {
        client_.fail(id_, protocol::ErrorCode::timeout,
                     "timed out after " + format_period(*timeout_) + "; still waiting for " + pending_text(), details());
        finish();
        return;
    }
    heartbeat(alarm_.at);
    arm();
}

void Waiter::arm() {
    const auto now = policies::Clock::now();
    alarm_ = policies::next_alarm(started_, kHeartbeat, timeout_, std::max(now, alarm_.at));
    const auto delay = std::chrono::ceil<std::chrono::milliseconds>(alarm_.at - now).count();
    uv_update_time(loop_);
    uv_timer_start(timer_.get(), on_timer, static_cast<uint64_t>(std::max<long long>(delay, 0)), 0);
}

void Waiter::heartbeat(policies::TimePoint at) {
    json waiting = json::array();
    for (const Item& item : items_) {
        if (item.wait.progress != WaitProgress::pending) continue;
        waiting.push_back({{"instance", item.name}, {"state", std::string(policies::to_string(state_of(item)))}});
    }
    client_.progress(id_, {{"time", iso_utc(std::chrono::system_clock::now())},
                           {"waiting", std::move(waiting)},
                           {"elapsed_ms", std::chrono::duration_cast<std::chrono::milliseconds>(at - started_).count()}});
}

json Waiter::details() const {
    json outcomes = json::array();
    json already = json::array();  // nothing to do for these: there before the command
    for (const Item& item : items_) {
        outcomes.push_back(outcome(item));
        if (item.wait.already) already.push_back(item.name);
    }
    json details = result_;
    details["outcomes"] = std::move(outcomes);
    if (!already.empty()) details["already"] = std::move(already);
    return details;
}

std::string Waiter::pending_text() const {
    std::string text;
    for (const Item& item : items_) {
        if (item.wait.progress != WaitProgress::pending) continue;
        text += (text.empty() ? "" : ", ") + item.name + " (" + std::string(policies::to_string(state_of(item))) + ")";
    }
    return text;
}

}  // namespace corral::supervisor
