#pragma once
// corral's Node agent (agent.js beside this file): the preload that lets an unmodified app listen on the
// sockets the daemon holds, and drains it on the stop signal. Its text is compiled into the binary (the
// build generates agent_source.cpp from agent.js), so that corral stays one self-contained file; the
// daemon writes it to disk once and points NODE_OPTIONS=--require at that file.
//
// Environment the agent reads (set by the daemon for each instance):
//   LISTEN_FDS, LISTEN_PID, LISTEN_FDNAMES  systemd's socket-activation protocol, fds from 3 in `listen` order;
//                                           the agent acts only when LISTEN_PID is its own process id
//   CORRAL_LISTEN        JSON list in fd order: {"fd":3,"address":"0.0.0.0:3000","host":"0.0.0.0","port":3000}
//                        or {"fd":5,"address":"unix:/run/app/web.sock","path":"/run/app/web.sock"}
//   CORRAL_STOP_SIGNAL   the service's stop signal by name ("SIGTERM" when unset)
//   NODE_CHANNEL_FD      Node's IPC channel (3 + LISTEN_FDS), where it reports each adopted address as the
//                        internal message {"cmd":"NODE_CORRAL_LISTENING","address":"<the CORRAL_LISTEN address>"}
#include <filesystem>
#include <string_view>

#include "base/sys_result.hpp"

namespace corral::agent {

inline constexpr std::string_view kAgentFileName = "corral-agent.js";

// The text of agent.js as it was when corral was built.
std::string_view agent_source();

// Writes agent_source() to dir/corral-agent.js (mode 0644; `dir` created when missing) and returns that
// path. The file is replaced atomically (a temporary file in `dir`, then rename), and only when it is
// missing or differs, so that Node processes starting meanwhile never read half a file.
Result<std::filesystem::path> install_agent(const std::filesystem::path& dir);

}  // namespace corral::agent
