#pragma once
// Process helpers for integration tests: start corral as a child, wait for conditions with deadlines,
// and read what /proc says about processes. Every process a test starts is stopped by the test, even
// when it fails: the test process is a child subreaper, so whatever the daemon leaves behind is
// re-parented to it and killed by ~CorralProcess / kill_all_descendants().
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace corral::test {

using namespace std::chrono_literals;

std::filesystem::path corral_binary();
std::filesystem::path fixture(const std::string& name);  // tests/fixtures/<name>

// Polls `condition` every 10 ms until it holds (true) or `timeout` passes (false).
bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds timeout);

bool process_alive(pid_t pid);           // exists and is not a zombie
char process_state(pid_t pid);           // 'R', 'S', 'Z', ... or 0 when gone
pid_t parent_of(pid_t pid);              // 0 when gone
std::vector<pid_t> children_of(pid_t pid);
std::vector<pid_t> descendants_of(pid_t pid);
// AddressSanitizer keeps freed memory in quarantine (up to 256 MiB): RSS bounds mean something only in
// builds without it, and tests check them there.
#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool kMemoryIsMeasurable = false;
#else
inline constexpr bool kMemoryIsMeasurable = true;
#endif

long rss_kib(pid_t pid);                 // VmRSS
long peak_rss_kib(pid_t pid);            // VmHWM

// SIGKILLs and reaps every descendant of this test process.
void kill_all_descendants();

class CorralProcess {
public:
    // Runs `corral args...` in `cwd`; its stdout and stderr go to cwd/corral.stdout and cwd/corral.stderr.
    // On destruction the daemon is stopped, then whatever it left is killed: processes, and the cgroups
    // of `state_dir` (default cwd/.corral), unless a live CorralProcess still uses that state directory (a
    // client command run beside its daemon).
    CorralProcess(const std::filesystem::path& cwd, const std::vector<std::string>& args,
                  std::filesystem::path state_dir = {});
    // The same, with the daemon's descriptor limit (soft and hard RLIMIT_NOFILE) set to `nofile`.
    CorralProcess(const std::filesystem::path& cwd, const std::vector<std::string>& args, unsigned long nofile);
    ~CorralProcess();
    CorralProcess(const CorralProcess&) = delete;
    CorralProcess& operator=(const CorralProcess&) = delete;

    pid_t pid() const { return pid_; }
    void signal(int signum) const;
    // Waits for the exit; returns the wait status, or nullopt on timeout.
    std::optional<int> wait(std::chrono::milliseconds timeout);
    // SIGTERM, then wait; returns the exit code (or 128+signal), -1 on timeout.
    int stop(std::chrono::milliseconds timeout = 20s);
    std::string stderr_text() const;

private:
    void start(const std::vector<std::string>& args, unsigned long nofile);

    std::filesystem::path cwd_;
    std::filesystem::path state_dir_;
    pid_t pid_ = -1;
    bool reaped_ = false;
};

// Runs `corral args...` to completion (with a timeout) and returns {exit code, stderr}.
struct CommandResult {
    int exit_code = -1;
    std::string out;
    std::string err;
};
CommandResult run_corral(const std::filesystem::path& cwd, const std::vector<std::string>& args,
                         std::chrono::milliseconds timeout = 20s);

}  // namespace corral::test
