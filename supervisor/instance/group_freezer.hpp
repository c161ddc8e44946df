#pragma once
// The frozen state of one instance's cgroup, wanted by two parts: cooling in freeze mode, and the sender
// throttle when the instance's channel is close to full. The cgroup is frozen while either wants it and the
// instance may be frozen (it is running: on its way down it must act on its stop signal, and the v1
// freezer would even hold back its SIGKILL).
//
// Ownership: the Instance owns one for its whole life; the cgroup driver is the daemon's and outlives it.
#include <functional>
#include <optional>
#include <string>

#include "policies/clock.hpp"
#include "supervisor/cgroup/driver.hpp"

namespace corral::supervisor {

class GroupFreezer {
public:
    enum class Part { cooling, channel };

    // `name` for log lines ("api#0"); `cgroups` null: nothing is ever frozen.
    GroupFreezer(std::string name, cgroup::Driver* cgroups, std::function<bool()> may_freeze);

    // The incarnation's cgroup ("api/0"; "" without one). A new one starts thawed, with no wants.
    void set_group(std::string group);
    bool can_freeze() const { return cgroups_ != nullptr && !group_.empty(); }
    // It has a cgroup and may be frozen now (it is running).
    bool may_freeze() const { return can_freeze() && may_freeze_(); }
    // `part` wants the cgroup frozen or not; returns whether it is frozen now.
    bool want(Part part, bool frozen);
    // Thaws, whatever is wanted (before a stop, a restart or a kill); wants are kept, and act again at
    // the next want() the instance may be frozen for.
    void thaw() { apply(false); }
    bool frozen() const { return frozen_; }
    // When it was last thawed (the liveness watch does not count the time frozen); nullopt: never.
    std::optional<policies::TimePoint> thawed_at() const { return thawed_at_; }

private:
    void apply(bool frozen);

    std::string name_;
    cgroup::Driver* cgroups_;
    std::function<bool()> may_freeze_;
    std::string group_;
    bool cooling_ = false;
    bool channel_ = false;
    bool frozen_ = false;
    std::optional<policies::TimePoint> thawed_at_;
};

}  // namespace corral::supervisor
