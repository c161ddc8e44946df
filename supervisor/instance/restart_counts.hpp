#pragma once
// An instance's restarts by reason, for the metrics (corral_instance_restarts_total{reason}): every start
// after the first is counted once, under why the previous incarnation ended:
//   a death corral did not ask for   its classification, lower_snake: "exit_code", "signal", "oom_kill",
//                                    "memory_limit", "v8_heap_oom", "thrashing", ...
//   a stop or restart asked for      "manual" (corral restart, stop then start, start after failed)
//   a rolling restart                "reload" (counted by the replacement, which carries the counts on)
// A death told before its evidence was in (a SIGKILL whose OOM report comes a little later: provisional) is
// counted once the investigation settles, under its final classification: counters only ever go up.
#include <cstdint>
#include <map>
#include <string>

namespace corral::supervisor {

class RestartCounts {
public:
    // A user (or the daemon) asked for the stop: the next start is a manual restart.
    void requested() {
        reason_ = "manual";
        awaiting_verdict_ = false;
    }
    // The incarnation died on its own with `reason`; `provisional`: the classification may still change.
    void died(std::string reason, bool provisional) {
        reason_ = std::move(reason);
        awaiting_verdict_ = provisional;
    }
    // The investigation of the last death settled with `reason`.
    void settled(const std::string& reason) {
        if (!awaiting_verdict_) return;
        awaiting_verdict_ = false;
        reason_ = reason;
        if (held_ > 0) {
            counts_[reason_] += held_;
            held_ = 0;
            reason_ = "manual";  // the restart for this death is counted
        }
    }
    // A start after the first.
    void restarted() {
        if (awaiting_verdict_) {
            ++held_;
            return;
        }
        ++counts_[reason_];
        reason_ = "manual";
    }
    // A replacement made by a rolling restart takes the counts of the instance it replaces, plus one reload.
    void carry_on(const RestartCounts& replaced) {
        counts_ = replaced.counts_;
        ++counts_["reload"];
    }
    const std::map<std::string, std::uint64_t>& by_reason() const { return counts_; }

private:
    std::map<std::string, std::uint64_t> counts_;
    std::string reason_ = "manual";
    bool awaiting_verdict_ = false;
    std::uint64_t held_ = 0;  // restarts made while awaiting the verdict
};

}  // namespace corral::supervisor
