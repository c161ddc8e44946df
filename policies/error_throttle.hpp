#pragma once
// When a failure that repeats (a full disk: the status file every second, a post-mortem per death) is
// worth a log line (pure; the clock is passed in). The first failure is logged; the same failure again
// only after `repeat_after`, with the count of those not logged in between, even when successes came
// between them (an operation that flaps between failing and working logs at most twice per interval); a
// different failure at once; and the first success after a logged failure once, so that the log says the
// trouble is over.
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
    bool failing() const { return failing_; }

private:
    Duration repeat_after_;
    std::optional<std::string> last_key_;  // of the last failure logged
    TimePoint last_logged_{};
    std::uint64_t suppressed_ = 0;
    bool failing_ = false;
    bool reported_ = false;  // the last line logged was a failure
};

}  // namespace corral::policies
