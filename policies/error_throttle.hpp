#pragma once
// When a failure that repeats (a full disk: the status file every second, a post-mortem per death) is
// worth a log line (pure; the clock is passed in). The first failure is logged; the same failure again
// only after `repeat_after`, with the count of those not logged in between; a different failure at once;
// and the first success after failures once, so that the log says the trouble is over.
//
// A failure is told apart from another by a key the caller chooses (the errno, or errno and operation).
#include <cstdint>
#include <optional>
#include <string>

#include "policies/clock.hpp"

namespace corral::policies {

struct ThrottleVerdict {
    bool log = false;
    std::uint64_t suppressed = 0;  // failures not logged since the last line
};

class ErrorThrottle {
public:
    explicit ErrorThrottle(Duration repeat_after = std::chrono::minutes(1)) : repeat_after_(repeat_after) {}

    ThrottleVerdict failed(const std::string& key, TimePoint now);
    // Whether to log that it works again (true once, after failures); `suppressed` is as in failed().
    ThrottleVerdict succeeded();
    bool failing() const { return last_key_.has_value(); }

private:
    Duration repeat_after_;
    std::optional<std::string> last_key_;
    TimePoint last_logged_{};
    std::uint64_t suppressed_ = 0;
};

}  // namespace corral::policies
