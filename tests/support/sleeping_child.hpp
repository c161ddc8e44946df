#pragma once
// A forked child that only sleeps, for tests that need a real process to move between cgroups, freeze
// and kill. The child allocates nothing (alarm + pause) and dies by itself after `limit` even if the
// test process is gone; the destructor SIGKILLs and reaps it if the test has not.
#include <sys/types.h>

#include <chrono>
#include <optional>

namespace corral::test {

class SleepingChild {
public:
    explicit SleepingChild(std::chrono::seconds limit = std::chrono::seconds(30));
    ~SleepingChild();
    SleepingChild(const SleepingChild&) = delete;
    SleepingChild& operator=(const SleepingChild&) = delete;

    pid_t pid() const { return pid_; }
    // Waits for the child's exit; its wait status, or nullopt when it is still running after `timeout`.
    std::optional<int> wait(std::chrono::milliseconds timeout);

private:
    pid_t pid_ = -1;
    bool reaped_ = false;
};

}  // namespace corral::test
