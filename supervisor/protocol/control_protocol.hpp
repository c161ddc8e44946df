#pragma once
// The control protocol between the CLI (and scripts) and the daemon, over <state_dir>/corral.sock:
// newline-delimited JSON, versioned. This header includes the whole of it: the commands as types
// (commands.hpp, target.hpp), reading and writing request lines (request.hpp), replies and stream events
// (replies.hpp), error codes (error_code.hpp). arguments, read_command and messages are internal to the folder.
//
//   request   {"v":1,"id":7,"cmd":"restart","args":{"target":"api#0"}}
//   reply     {"id":7,"ok":true,"result":{...}}
//             {"id":7,"ok":false,"error":{"code":"not_found","message":"no service or instance \"apx\"","details":...}}
//   stream    after the reply to `logs` with follow or `events`: {"id":7,"event":{...}} per line, until the
//             client closes; a client that does not keep up gets
//             {"id":7,"ok":false,"error":{"code":"slow_client",...}} and is disconnected.
//   waiting   start, stop, restart, reload with "wait": true: progress first, {"id":7,"event":{...}} per
//             line, then the one reply. Events: a transition of an awaited instance, in the shape of the
//             `events` stream ({"time","instance","from","to","reason"}), and every 5 s of waiting a
//             heartbeat {"time":...,"waiting":[{"instance":"api#1","state":"starting"}],"elapsed_ms":5000}.
//             The reply: the result the command has without waiting plus "outcomes", one per instance
//             {"instance":"api#0","result":R,"state":"running","pid":4242|null,"reason":"program started"},
//             R one of "done", "already" (there before the command), "failed", "pending"; or an error
//             (wait_failed, timeout, shutting_down) whose "details" are that result as it stood. The other
//             requests of the connection are answered meanwhile (their replies carry their own ids).
//
// A request that cannot be parsed far enough to know its id is answered with "id": null. Error codes
// (ErrorCode, error_code.hpp):
//   bad_json             the line is not a JSON object
//   bad_request          v, id, cmd or args missing or of the wrong type
//   unsupported_version  v is not 1
//   unknown_command      cmd is not one of kCommands (commands.hpp)
//   bad_args             an argument is missing, unknown, or of the wrong type or value
//   too_large            the request line is longer than kMaxRequestBytes (the connection is closed)
//   forbidden            the peer's uid is neither the daemon's nor root (the connection is closed)
//   not_found            no such service, instance or post-mortem
//   invalid_config       reload: the file has errors; details = ["FILE:LINE:COL: ...", ...]; nothing changed
//   shutting_down        the daemon is stopping and takes no more commands that start things; also the
//                        end of a wait that the daemon's stop cut short
//   slow_client          see above
//   wait_failed          a waited-for instance ended elsewhere: a start (or restart) ended in backoff,
//                        failed, exited or stopped before running; a stop was overtaken by a start
//   timeout              the wait was longer than timeout_ms; the message names what was still pending
//   not_running          signal with wait: an instance of the target is not running (not signalled)
//   failed               anything else that went wrong, with a message saying what
//
// Commands and their arguments (all arguments optional unless marked *), one type each in commands.hpp:
//   version                                   -> {"version":"0.1.0","protocol":1}
//   status                   target           -> {"daemon":{...},"instances":[{...}]} (see status_file.hpp);
//                                                with a target only its instances (and routes); each has
//                                                "cpu_percent" (of one CPU over the last sample, or null)
//                                                and, once its Node agent reported, "runtime" (see
//                                                supervisor/daemon/runtime_status.hpp)
//   start | stop | restart   target*, wait, timeout_ms
//                                             -> {"instances":["api#0",...],"already":["api#1"]}
//                                                target: NAME, NAME#INDEX or "all"; "already": those there
//                                                before the command (start: running, stop: down), only when
//                                                there are any; with wait also in the reply beside "outcomes"
//                                                with wait: once each is running (start: already running
//                                                counts; restart: a new start), or down with no process (stop)
//   signal                   target*, signal*, wait
//                                             -> {"instances":[...]}              signal: "SIGUSR2", "USR2" or a number
//                                                without wait, instances without a process are skipped; with
//                                                it, one that is not running is not_running, and "outcomes"
//                                                say "signalled" and the pid
//   cool                     target*, for_ms  -> {"instances":[{"instance":"api#0","cooling":true,"reason":"...",
//                                                "already":false}],   already: it was cooling (heat: working)
//                                                "not_running":["api#1"]}   for_ms: 1 to 86400000; default until heat
//   heat                     target*          -> the same, for ending cool periods
//   reload                   wait, timeout_ms -> {"changes":[{"service":"api","action":"restart"},...]}
//                                                with wait: once what it started or restarted runs and what it
//                                                stopped is down
//   wait: a boolean (default false); timeout_ms: 1 to 86400000, only with "wait": true
//   logs                     target*, lines (integer 0..10000, default 100), stream ("out"|"err"|"both"),
//                            follow (bool), since_ms (unix ms)
//                                             -> {"lines":[{"time":"...Z","instance":"api#0","stream":"out",
//                                                 "line":"..."}]}: the last `lines` of each log that arrived
//                                                 since since_ms, out and err merged by arrival time; then,
//                                                 with follow, events of the same shape
//   flush                    target*          -> {"instances":["api#0",...]}: their logs (rotated files too)
//                                                 are emptied
//   postmortem               target, show     -> the list, or one bundle (as `corral postmortem --json`)
//   events                                    -> {"stream":true}, then {"time":...,"instance":"api#0",
//                                                 "from":"running","to":"backoff","reason":"..."} per change
//   describe                 target*          -> {"service":{spec},"instances":[{...}],"routes":[...],
//                                                "postmortems":[...]} (see supervisor/daemon/describe_json.hpp)
//   shutdown                                  -> {} then the daemon stops every service and exits
//   add                      name*, command*, cwd*, env, instances, restart, wait, timeout_ms
//                                             -> {"service":"web","file":"...","state_dir":"...","instances":[...]}
//                                                an ad-hoc service (in no file), checked as the loader checks a
//                                                [services.NAME] table (bad_args with its message); a name in use
//                                                is bad_args; with wait: once each instance is running (as start)
//   delete                   name*, wait, timeout_ms
//                                             -> {"service":"web","instances":[...]}  an ad-hoc service: stopped
//                                                and forgotten (with wait: once down and reaped, as stop); a
//                                                service of the file is refused (failed), unknown: not_found
//   services                                  -> {"file":"...","state_dir":"...","services":[{"name","adhoc",
//                                                "command","shell","cwd","env","instances","restart"}]}
//   metrics                                   -> {"text":"# HELP ..."}: Prometheus' text format, as GET /metrics
#include "supervisor/protocol/commands.hpp"
#include "supervisor/protocol/error_code.hpp"
#include "supervisor/protocol/replies.hpp"
#include "supervisor/protocol/request.hpp"
#include "supervisor/protocol/target.hpp"
