#include "supervisor/instance/group_freezer.hpp"

#include <spdlog/spdlog.h>

namespace corral::supervisor {

GroupFreezer::GroupFreezer(std::string name, cgroup::Driver* cgroups, std::function<bool()> may_freeze)
    : name_(std::move(name)), cgroups_(cgroups), may_freeze_(std::move(may_freeze)) {}

void GroupFreezer::set_group(std::string group) {
    apply(false);
    group_ = std::move(group);
    cooling_ = channel_ = false;
}

bool GroupFreezer::want(Part part, bool frozen) {
    (part == Part::cooling ? cooling_ : channel_) = frozen;
    apply((cooling_ || channel_) && may_freeze());
    return frozen_;
}

void GroupFreezer::apply(bool frozen) {
    if (frozen == frozen_ || !can_freeze()) return;
    if (const Status status = cgroups_->freeze(group_, frozen); !status) {
        spdlog::error("{}: cannot {} its cgroup: {}", name_, frozen ? "freeze" : "thaw", status.error().message());
        return;
    }
    frozen_ = frozen;
    if (!frozen) thawed_at_ = policies::Clock::now();
}

}  // namespace corral::supervisor
