#pragma once
// The daemon's side of the control socket. The ControlService owns the ControlServer, answers each request
// by its typed command (one std::visit, one member per command), and fans state changes and output lines out
// to the clients that follow them (`events`, `logs --follow`). It reaches the daemon only through
// DaemonControl, which the Daemon implements; the Daemon owns the service and closes it on shutdown.
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
#include "supervisor/instance/instance.hpp"
#include "supervisor/postmortem/bundle_reader.hpp"

namespace corral::supervisor {

// What the control commands may ask of the daemon.
class DaemonControl {
public:
    struct ReloadOutcome {
        std::vector<std::string> errors;                           // "FILE:LINE:COL: ..."; when set, nothing changed
        std::vector<std::pair<std::string, std::string>> changes;  // service, action
    };

    // The instances `target` names, in the order of the service file; none when it names nothing.
    virtual std::vector<Instance*> resolve(const protocol::Target& target) const = 0;
    // {"daemon":{...},"instances":[...],"routes":[...],"channels":[...]}
    virtual nlohmann::json status_json() const = 0;
    // Reads the service file again and applies it (see Daemon).
    virtual ReloadOutcome reload() = 0;
    // Stops every service and then the daemon, as SIGTERM does; once stopping, changes nothing.
    virtual void shut_down() = 0;
    virtual bool shutting_down() const = 0;
    virtual const std::filesystem::path& state_dir() const = 0;
    virtual const std::filesystem::path& config_file() const = 0;  // empty for `corral run`

protected:
    ~DaemonControl() = default;
};

class ControlService final : private ControlHandler {
public:
    ControlService(uv_loop_t* loop, DaemonControl& daemon);
    ControlService(const ControlService&) = delete;
    ControlService& operator=(const ControlService&) = delete;

    Status listen(const std::filesystem::path& socket) { return server_.listen(socket); }
    void close() { server_.close(); }

    // An instance changed state: an event for every `events` client.
    void publish_transition(const Instance& instance, policies::State from, policies::State to,
                            const std::string& reason);
    // A cool period began or ended: in the events stream as a pseudo-transition running <-> cooling, so that
    // `corral events` shows it in line with the others.
    void publish_cooling(const Instance& instance, bool cooling, const std::string& reason);
    // Lines an instance wrote to `stream` ("out" or "err"): one event a line for every client following it.
    void publish_output(const Instance& instance, std::string_view stream, std::string_view lines);

private:
    using Client = ControlConnection;

    void handle_request(Client& client, const protocol::Request& request) override;

    // One explicit specialization per command of protocol::Command (control_service.cpp); a command without
    // one does not compile.
    template <typename Command>
    void answer(Client& client, std::int64_t id, const Command& command) = delete;

    // The instances `target` names; none, after answering not_found, when it names nothing.
    std::vector<Instance*> found(Client& client, std::int64_t id, const protocol::Target& target) const;
    template <typename Command>
    void change_state(Client& client, std::int64_t id, const Command& command, void (Instance::*change)());
    template <typename Change>
    void change_cooling(Client& client, std::int64_t id, std::string_view cmd, const protocol::Target& target,
                        Change&& change);
    void show_postmortem(Client& client, std::int64_t id, const std::vector<postmortem::BundleInfo>& bundles,
                         const std::string& query);
    void publish_event(const nlohmann::json& event);

    DaemonControl& daemon_;
    ControlServer server_;
};

}  // namespace corral::supervisor
