#pragma once
// The daemon's side of the control socket. The ControlService owns the ControlServer, answers each request
// by its typed command (one std::visit, one member per command), and fans state changes and output lines out
// to the clients that follow them (`events`, `logs --follow`) and to the requests that wait for their
// result (Waiters: start, stop, restart and reload with "wait": true, control_waits.cpp). It reaches the
// daemon only through DaemonControl, which the Daemon implements; the Daemon owns the service, tells it
// about instances that change or go and about its own stop, and closes it on shutdown.
#include <uv.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/sys_result.hpp"
#include "policies/lifecycle.hpp"
#include "supervisor/control/control_server.hpp"
#include "supervisor/daemon/waiters.hpp"
#include "supervisor/instance/instance.hpp"
#include "supervisor/postmortem/bundle_reader.hpp"

namespace corral::supervisor {

// What the control commands may ask of the daemon.
class DaemonControl {
public:
    struct ReloadOutcome {
        std::vector<std::string> errors;                           // "FILE:LINE:COL: ..."; when set, nothing changed
        std::vector<std::pair<std::string, std::string>> changes;  // service, action
        // What a reload that waits waits for: every instance it started or restarted (new_start) and every
        // one it stopped (down), each by its Instance. A goal is followed for as long as it takes, through
        // the instance's transitions, whoever causes them. So a change that replaces instances by new ones
        // of the same index (a rolling restart) lists each new Instance (new_start) and each old one
        // (down), and may make the new ones now and start them one after another later; an Instance it
        // drops before it ran must go through instance_removed() like any other (it fails the wait).
        std::vector<Awaited> awaited;
    };

    // The instances `target` names, in the order of the service file; none when it names nothing.
    virtual std::vector<Instance*> resolve(const protocol::Target& target) const = 0;
    // {"daemon":{...},"instances":[...],"routes":[...],"channels":[...]}
    virtual nlohmann::json status_json() const = 0;
    // Reads the service file again and applies it (see Daemon).
    // `roll`: a service whose instances are replaced one by one even when the file did not change it
    // (an error naming it when there is no such service).
    virtual ReloadOutcome reload(const std::optional<protocol::Target>& roll = std::nullopt) = 0;
    // Stops every service and then the daemon, as SIGTERM does; once stopping, changes nothing.
    virtual void shut_down() = 0;
    virtual bool shutting_down() const = 0;
    virtual const std::filesystem::path& state_dir() const = 0;
    virtual const std::filesystem::path& config_file() const = 0;  // empty for `corral run`
    // The services and routes as the daemon runs them (the last file that loaded without errors).
    virtual const config::Config& running_config() const = 0;

    // add and delete (daemon_adhoc.cpp): refused (a code and a message, nothing changed), or the instances
    // started or stopped and what a waiting client waits for.
    struct ServiceChange {
        std::optional<protocol::ErrorCode> refused;
        std::string message;
        std::vector<Instance*> instances;
        std::vector<Awaited> awaited;
    };
    // Starts an ad-hoc service: `spec` holds what `corral run` sets, checked as the file's services are.
    virtual ServiceChange add_service(const config::ServiceSpec& spec) = 0;
    // Stops an ad-hoc service and forgets it; a service of the file is refused.
    virtual ServiceChange delete_service(const std::string& name) = 0;
    // {"file":...,"state_dir":...,"services":[{"name","adhoc","command","shell","cwd","env","instances","restart"}]}
    virtual nlohmann::json services_json() const = 0;
    // The metrics in Prometheus' text format, as GET /metrics serves them (daemon_metrics.cpp).
    virtual std::string metrics_text() = 0;

protected:
    ~DaemonControl() = default;
};

class ControlService final : private ControlHandler {
public:
    ControlService(uv_loop_t* loop, DaemonControl& daemon);
    ControlService(const ControlService&) = delete;
    ControlService& operator=(const ControlService&) = delete;

    Status listen(const std::filesystem::path& socket) { return server_.listen(socket); }
    void close() {
        waiters_.close();
        server_.close();
    }

    // An instance changed state: an event for every `events` client.
    void publish_transition(const Instance& instance, policies::State from, policies::State to,
                            const std::string& reason);
    // A cool period began or ended: in the events stream as a pseudo-transition running <-> cooling, so that
    // `corral events` shows it in line with the others.
    void publish_cooling(const Instance& instance, bool cooling, const std::string& reason);
    // Lines an instance wrote to `stream` ("out" or "err"): one event a line for every client following it.
    void publish_output(const Instance& instance, std::string_view stream, std::string_view lines);
    // Something about the instance changed besides its state (it became quiet).
    void instance_changed(const Instance& instance) { waiters_.changed(instance); }
    // The instance is about to be destroyed.
    void instance_removed(const Instance& instance) { waiters_.removed(instance); }
    // The daemon began to stop: waiting requests are answered shutting_down.
    void daemon_stopping() { waiters_.shutting_down(); }

private:
    using Client = ControlConnection;
    struct WaitRequest {
        bool wait = false;
        std::optional<policies::Duration> timeout;
        std::optional<protocol::Target> roll;  // reload SERVICE
    };

    void handle_request(Client& client, const protocol::Request& request) override;
    void connection_closed(Client& client) override { waiters_.client_closed(client); }

    // One explicit specialization per command of protocol::Command (control_service.cpp); a command without
    // one does not compile.
    template <typename Command>
    void answer(Client& client, std::int64_t id, const Command& command) = delete;

    // The instances `target` names; none, after answering not_found, when it names nothing.
    std::vector<Instance*> found(Client& client, std::int64_t id, const protocol::Target& target) const;
    // control_waits.cpp: the commands that may wait. `goal`: what waiting for `change` waits for.
    template <typename Command>
    void change_state(Client& client, std::int64_t id, const Command& command, void (Instance::*change)(),
                      policies::WaitGoal goal) {
        change_state(client, id, command.name, command.target, {command.waits(), command.timeout, std::nullopt}, change, goal);
    }
    void change_state(Client& client, std::int64_t id, std::string_view cmd, const protocol::Target& target,
                      const WaitRequest& wait, void (Instance::*change)(), policies::WaitGoal goal);
    void signal_instances(Client& client, std::int64_t id, const protocol::Signal& command);
    void signal_and_report(Client& client, std::int64_t id, const std::vector<Instance*>& instances, int signal);
    void reload(Client& client, std::int64_t id, const WaitRequest& wait);
    // control_adhoc.cpp: add and delete, answered at once or once their instances got there.
    void add_service(Client& client, std::int64_t id, const protocol::Add& command);
    void delete_service(Client& client, std::int64_t id, const protocol::Delete& command);
    void answer_change(Client& client, std::int64_t id, const DaemonControl::ServiceChange& change,
                       nlohmann::json result, bool wait, std::optional<policies::Duration> timeout);
    template <typename Change>
    void change_cooling(Client& client, std::int64_t id, std::string_view cmd, const protocol::Target& target,
                        Change&& change, bool cool);
    void show_postmortem(Client& client, std::int64_t id, const std::vector<postmortem::BundleInfo>& bundles,
                         const std::string& query);
    void publish_event(const nlohmann::json& event);
    // describe_command.cpp: the instances' status and post-mortems besides their spec.
    void describe(Client& client, std::int64_t id, const protocol::Target& target);

    DaemonControl& daemon_;
    Waiters waiters_;  // before server_: closing connections tell it
    ControlServer server_;
};

}  // namespace corral::supervisor
