#pragma once
// The validated form of a service file. Everything here has been checked by load_config(): paths are
// absolute, durations and sizes are numbers, names are safe to use in file names. Specs compare with ==
// so that a reload can tell changed services from unchanged ones.
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "ipc/queue_limits.hpp"
#include "policies/backoff.hpp"
#include "policies/cooling.hpp"
#include "policies/liveness.hpp"
#include "policies/memory_watch.hpp"
#include "policies/restart_mode.hpp"
#include "policies/sender_throttle.hpp"
#include "policies/start_limit.hpp"
#include "policies/token_bucket.hpp"
#include "supervisor/cgroup/limits.hpp"
#include "supervisor/config/listen_spec.hpp"
#include "supervisor/config/probe_target.hpp"

namespace corral::config {

using policies::Duration;

struct StopSpec {
    int signal = 15;  // SIGTERM
    Duration timeout{5'000};

    bool operator==(const StopSpec&) const = default;
};

// text: the lines as the program wrote them; json: one {"time","stream","instance","line"} object a line.
enum class LogFormat { text, json };

struct LogSpec {
    std::uint64_t max_size = 10ull << 20;  // rotate the file once it would grow past this
    unsigned keep = 5;                     // rotated files kept beside the live one
    bool timestamps = false;               // prefix each line with its UTC arrival time (text only)
    LogFormat format = LogFormat::text;

    bool operator==(const LogSpec&) const = default;
};

// When an instance counts as running (`ready`): exec (its program started), listening (its server accepts on
// every socket corral holds for it: the Node agent says so), message (it sent "ready", pm2's wait_ready),
// http (a GET of `probe` answers 2xx), tcp (a connection to `probe` succeeds).
enum class ReadyKind { exec, listening, message, http, tcp };

struct ReadySpec {
    ReadyKind kind = ReadyKind::exec;
    std::optional<ProbeTarget> probe;  // http, tcp
    Duration timeout{30'000};   // ready_timeout: not ready by then is a failed start

    bool operator==(const ReadySpec&) const = default;
};

// How a rolling restart replaces the instances, one at a time (rollout = { surge = 1, max_unavailable = 0 }):
// surge = 1 starts the replacement beside the instance it replaces; surge = 0 (max_unavailable = 1) stops
// the instance first.
struct RolloutSpec {
    unsigned surge = 1;
    unsigned max_unavailable = 0;

    bool operator==(const RolloutSpec&) const = default;
};

// Node's IPC channel to the instance (fd 3, NODE_CHANNEL_FD): json (default), advanced (V8 serializer),
// or off (no channel).
enum class IpcMode { json, advanced, off };

struct ServiceSpec {
    std::string name;                   // [A-Za-z0-9_.-], at most 64 characters, not starting with '.'
    std::vector<std::string> command;   // argv; with shell = true, {"/bin/sh", "-c", <the string>}
    bool shell = false;
    std::filesystem::path cwd;          // absolute
    std::map<std::string, std::string> env;
    unsigned instances = 1;
    policies::RestartMode restart = policies::RestartMode::always;
    policies::BackoffParams backoff;
    policies::StartLimitParams start_limit;
    StopSpec stop;
    LogSpec logs;
    supervisor::cgroup::Limits limits;  // memory = {...}, pids = {...}, cpu = {...}
    policies::MemoryWatch memory_watch;  // memory.restart_at, memory.snapshot_at, memory.thrashing
    // Node programs get diagnostics flags through NODE_OPTIONS: a report on a fatal error (V8 heap out of
    // memory), and, with memory.snapshot_at, a heap snapshot on a signal.
    bool node_diagnostics = true;
    // Node programs with a json IPC channel get corral's agent (NODE_OPTIONS=--require), which reports heap,
    // event-loop delay, handles and GC time every sample interval (supervisor/agent/runtime_report.hpp).
    bool node_agent = true;
    // With cgroups and a restart policy that restarts: the next incarnation waits in the cgroup, ready to
    // exec, so that a restart does not wait for the move into the cgroup (supervisor/instance/standby.hpp).
    bool standby = true;
    IpcMode ipc = IpcMode::json;
    std::string parent;  // "api": api's process.send() reaches this service and this one's reaches api
    // [services.NAME.cooling]: when to pause the instance in cooling cycles; unset: only corral cool does.
    std::optional<policies::CoolingParams> cooling;
    // throttle: the CPU of a sender whose messages wait unread on corral's end is cut until corral has
    // caught up; on by default (it only ever acts on a service with routes from it); nullopt: off.
    std::optional<policies::SenderThrottleParams> throttle = policies::SenderThrottleParams{};
    ListenSpec listen;  // listen, backlog, socket, listen_adopt
    ReadySpec ready;
    RolloutSpec rollout;
    // liveness = { event_loop = "10s" }: an instance whose event loop stops turning that long is hung: its
    // JavaScript stack is taken, then it is killed and restarted (supervisor/instance/liveness_watch.hpp).
    std::optional<policies::LivenessParams> liveness;

    bool operator==(const ServiceSpec&) const = default;
};

// auto: use cgroups when the host allows, else warn once and run without limits.
// required: refuse to start without them. off: never touch cgroups (process groups only).
enum class CgroupMode { automatic, required, off };

struct PostmortemSpec {
    unsigned keep = 20;                     // bundles kept per instance, newest first
    std::uint64_t max_size = 1ull << 30;    // all bundles of this state directory together
    // A crash loop gets one bundle per window and per instance; the deaths in between are counted
    // (policies/postmortem_window.hpp). Zero: every death gets its bundle.
    Duration window{60'000};

    bool operator==(const PostmortemSpec&) const = default;
};

// [supervisor] metrics = "127.0.0.1:9464": where GET /metrics is served (port 0: the kernel picks one).
struct MetricsAddress {
    std::string host;  // "127.0.0.1", "::1", "0.0.0.0", "::"
    std::uint16_t port = 0;

    // "127.0.0.1:9464", "[::1]:9464"
    std::string text() const {
        return (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + std::to_string(port);
    }
    bool operator==(const MetricsAddress&) const = default;
};

struct SupervisorSpec {
    std::filesystem::path state_dir;  // absolute; logs/ and corral.log live here
    CgroupMode cgroups = CgroupMode::automatic;
    std::filesystem::path cgroup_root = "/sys/fs/cgroup";  // absolute; where cgroup filesystems are mounted
    Duration sample_interval{1'000};  // memory accounting period
    PostmortemSpec postmortem;
    std::uint64_t max_message = 4ull << 20;  // IPC frames longer than this are refused
    Duration drain_timeout{5'000};  // at shutdown, how long the broker may deliver its backlog before persisting it
    std::optional<MetricsAddress> metrics;  // nullopt: no HTTP endpoint (`corral metrics` works all the same)

    bool operator==(const SupervisorSpec&) const = default;
};

enum class Delivery { round_robin, broadcast };

// A route of the IPC broker: what `from`'s instances send goes to `to`'s instances, rate-limited and
// queued. `parent` on a service makes two routes (parent -> service, service -> parent) with defaults.
struct RouteSpec {
    std::string from;
    std::string to;
    policies::RateParams rate;  // rate = "2000/s", byte_rate = "20MiB/s", burst = 500
    ipc::QueueLimits queue;
    Delivery delivery = Delivery::round_robin;
    bool implicit = false;  // made by `parent`

    bool operator==(const RouteSpec&) const = default;
};

struct Config {
    std::filesystem::path file;  // absolute path of the service file ("" for `corral run`)
    SupervisorSpec supervisor;
    std::vector<ServiceSpec> services;  // in file order
    std::vector<RouteSpec> routes;      // [[routes]] in file order, then those made by `parent`
};

}  // namespace corral::config
