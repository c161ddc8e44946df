#pragma once
// How many post-mortems a crash loop gets. The first death of an instance in a window gets a full bundle;
// the deaths after it, until the window is over, are only counted. The count goes into the next bundle
// ("N deaths since the previous bundle were counted, not bundled"), into status and into the log.
// A bundle costs a directory, several files and a retention scan of every bundle of the state directory;
// a crash loop with backoff 0 dies dozens of times a second, and would write megabytes a minute of the
// same story while the daemon stops answering.
//
// Memory deaths (OOM kills, thrashing, V8's heap, memory.restart_at) have a window of their own: the
// first of them in a window gets its bundle even while plain crashes are being counted, and only a loop
// of memory deaths is counted as well. A window of zero gives every death its bundle.
#include <optional>

#include "policies/clock.hpp"
#include "policies/exit_classification.hpp"

namespace corral::policies {

inline constexpr Duration kPostmortemWindow{60'000};

// One window per kind of death (memory, other), per instance.
struct PostmortemWindow {
    struct Kind {
        std::optional<TimePoint> opened;  // when the bundle that opened the window was written
        unsigned counted = 0;             // deaths in that window without a bundle of their own
        bool operator==(const Kind&) const = default;
    };
    Kind memory;
    Kind other;
    bool operator==(const PostmortemWindow&) const = default;
};

struct PostmortemChoice {
    PostmortemWindow next;
    bool write = false;
    // With write: the deaths of this kind counted since the previous bundle (they go into this one).
    // Without: the deaths counted in the open window, this one included.
    unsigned counted = 0;
};

bool is_memory_death(ExitReason reason);

PostmortemChoice choose_postmortem(const PostmortemWindow& window, ExitReason reason, TimePoint now,
                                   Duration length);

}  // namespace corral::policies
