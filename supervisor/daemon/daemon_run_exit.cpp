// The run contract: a foreground `corral run` ends when its program is done for good, with its exit code.
#include <spdlog/spdlog.h>
#include <unistd.h>

#include "supervisor/daemon/daemon.hpp"

namespace corral::supervisor {
namespace {

bool done_for_good(policies::State state) {
    return state == policies::State::exited || state == policies::State::failed;
}

// As a shell says it: the code, or 128 + the signal; 1 for a failure without a known exit.
int exit_code_of(const Instance& instance) {
    if (!instance.last_exit()) return 1;
    const policies::ExitStatus& status = instance.last_exit()->status;
    return status.signal != 0 ? 128 + status.signal : status.code;
}

}  // namespace

void Daemon::set_foreground(const ForegroundOptions& options) {
    exit_when_done_ = options.exit_when_done;
    if (!options.print_output) return;
    foreground_ = options.attach ? std::make_unique<ForegroundOutput>(STDOUT_FILENO, STDERR_FILENO)
                                 : std::make_unique<ForegroundOutput>(STDOUT_FILENO, options.color);
}

void Daemon::stop_when_done() {
    if (shutting_down()) return;
    bool any = false;
    for (const auto& service : services_) {
        for (const auto& instance : service.instances) {
            if (!done_for_good(instance->state())) return;
            any = true;
        }
    }
    if (!any) return;
    // With several instances, the first non-zero code in the order of the instances.
    int code = 0;
    for (const auto& service : services_) {
        for (const auto& instance : service.instances) {
            if (code == 0) code = exit_code_of(*instance);
        }
    }
    program_exit_code_ = code;
    spdlog::info("every instance is done for good (exit code {}): stopping", code);
    shut_down();
}

}  // namespace corral::supervisor
