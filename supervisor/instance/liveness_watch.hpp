#pragma once
// The liveness watch of one instance (`liveness = { event_loop = "10s" }`): from the exec to the exit it
// judges whether the event loop still turns (policies::judge_liveness), at each runtime report of the Node
// agent and at the moment the verdict could change (one timer, armed for the policy's recheck_at). When the
// instance is hung, it asks the agent for the JavaScript stack of the stuck code (agent/stack_request.hpp),
// waits for it at most kStackWait, then tells the owner to kill the instance, with the evidence for its
// post-mortem: how long the loop was blocked, and where the stack is (or that none came).
//
// Ownership: the Instance owns one for its whole life, and with it the timer. A watch runs from start() (the
// exec) to end() (the incarnation is gone); a verdict is given at most once per incarnation.
#include <uv.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "base/uv_handle.hpp"
#include "policies/liveness.hpp"

namespace corral::supervisor {

// How long the agent may take to answer a request for the stack before the kill goes ahead without it.
inline constexpr policies::Duration kStackWait{3'000};

class LivenessWatch {
public:
    class Owner {
    public:
        // corral holds the loop still now (cooled, frozen, stopping), and when it last stopped doing so.
        struct Pause {
            bool now = false;
            std::optional<policies::TimePoint> ended_at;
        };
        virtual Pause loop_pause() const = 0;
        // Hung: kill it now. `evidence`, one line each, for the post-mortem.
        virtual void on_hung(std::vector<std::string> evidence) = 0;

    protected:
        ~Owner() = default;
    };

    // `name` for log lines ("api#0").
    LivenessWatch(uv_loop_t* loop, Owner& owner, std::string name);
    LivenessWatch(const LivenessWatch&) = delete;
    LivenessWatch& operator=(const LivenessWatch&) = delete;

    // The program was exec'd; nullopt params: nothing is watched. `stack_dir`: where the agent takes
    // requests for the stack and answers them ("" for nowhere: the kill goes ahead without one).
    void start(const std::optional<policies::LivenessParams>& params, std::filesystem::path stack_dir,
               policies::TimePoint now);
    // A runtime report came (its longest event-loop delay).
    void report(double loop_max_ms, policies::TimePoint now);
    // A reload changed the thresholds: they apply at once.
    void update(const std::optional<policies::LivenessParams>& params, policies::TimePoint now);
    // The incarnation is gone.
    void end();

private:
    enum class Phase { off, watching, asking, done };

    static void on_timer(uv_timer_t* timer);
    void judge(policies::TimePoint now);
    void ask_for_stack(const policies::LivenessVerdict& verdict, policies::TimePoint now);
    void look_for_stack(policies::TimePoint now);
    void arm(policies::TimePoint at, policies::TimePoint now);
    std::string blocked_text(const policies::LivenessVerdict& verdict, policies::TimePoint now) const;

    Owner& owner_;
    std::string name_;
    UvHandle<uv_timer_t> timer_;
    Phase phase_ = Phase::off;
    policies::LivenessParams params_;
    std::filesystem::path stack_dir_;
    policies::TimePoint started_;
    std::optional<policies::TimePoint> last_report_;
    std::optional<policies::TimePoint> previous_report_;
    double loop_max_ms_ = 0;
    policies::TimePoint asked_at_;
    std::string blocked_;  // the first evidence line, while asking
};

}  // namespace corral::supervisor
