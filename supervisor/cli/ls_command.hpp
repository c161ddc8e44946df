#pragma once
// `corral ls [--json]`: every daemon of this user (the registry, supervisor/registry/) and its instances,
// from any directory:
//
//   /srv/app/corral.toml  pid 4242, up 2h10m
//     state dir /srv/app/.corral, socket /srv/app/.corral/corral.sock
//     INSTANCE  STATE    PID    UPTIME
//     api#0     running  48213  10m47s
//   (run)  pid 4300, up 5m
//     ...
//
// Each daemon is asked for its status over its socket; one that does not answer is shown as such
// ("not answering: ...") and the others are listed all the same. Exit 0, also with no daemon at all ("no
// corral daemon is running"); 1 when a registered daemon did not answer.
// --json: [{"pid","service_file","state_dir","socket","version","started_at","uptime_ms","status"|"error"}]
// where status is the daemon's status result.
#include <CLI/CLI.hpp>

namespace corral::supervisor::cli {

class LsCli {
public:
    explicit LsCli(CLI::App& app);
    bool parsed() const { return app_->parsed(); }
    int run() const;

private:
    CLI::App* app_ = nullptr;
    bool json_ = false;
};

}  // namespace corral::supervisor::cli
