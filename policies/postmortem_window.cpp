#include "policies/postmortem_window.hpp"

namespace corral::policies {

bool is_memory_death(ExitReason reason) {
    switch (reason) {
        case ExitReason::oom_kill:
        case ExitReason::oom_kill_global:
        case ExitReason::v8_heap_oom:
        case ExitReason::thrashing:
        case ExitReason::memory_limit: return true;
        case ExitReason::signal:
        case ExitReason::exit_code:
        case ExitReason::hung: return false;
    }
    return false;
}

PostmortemChoice choose_postmortem(const PostmortemWindow& window, ExitReason reason, TimePoint now,
                                   Duration length) {
    PostmortemChoice choice{window, false, 0};
    PostmortemWindow::Kind& kind = is_memory_death(reason) ? choice.next.memory : choice.next.other;
    const bool open = kind.opened && length.count() > 0 && now >= *kind.opened && now - *kind.opened < length;
    if (open) {
        choice.counted = ++kind.counted;
        return choice;
    }
    choice.write = true;
    choice.counted = kind.counted;
    kind.opened = now;
    kind.counted = 0;
    return choice;
}

}  // namespace corral::policies
