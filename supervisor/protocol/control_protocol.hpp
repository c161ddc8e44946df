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
//   shutting_down        the daemon is stopping and takes no more commands that start things
//   slow_client          see above
//   failed               anything else that went wrong, with a message saying what
//
// Commands and their arguments (all arguments optional unless marked *), one type each in commands.hpp:
//   version                                   -> {"version":"0.1.0","protocol":1}
//   status                                    -> {"daemon":{...},"instances":[{...}]} (see status_file.hpp)
//   start | stop | restart   target*          -> {"instances":["api#0",...]}      target: NAME, NAME#INDEX or "all"
//   signal                   target*, signal* -> {"instances":[...]}              signal: "SIGUSR2", "USR2" or a number
//   cool                     target*, for_ms  -> {"instances":[{"instance":"api#0","cooling":true,"reason":"..."}],
//                                                "not_running":["api#1"]}   for_ms: 1 to 86400000; default until heat
//   heat                     target*          -> the same, for ending cool periods
//   reload                                    -> {"changes":[{"service":"api","action":"restart"},...]}
//   logs                     target*, lines (integer 0..10000, default 100), stream ("out"|"err"|"both"),
//                            follow (bool)    -> {"lines":[{"instance":"api#0","stream":"out","line":"..."}]}
//                                                 then, with follow, events of the same shape
//   postmortem               target, show     -> the list, or one bundle (as `corral postmortem --json`)
//   events                                    -> {"stream":true}, then {"time":...,"instance":"api#0",
//                                                 "from":"running","to":"backoff","reason":"..."} per change
//   shutdown                                  -> {} then the daemon stops every service and exits
#include "supervisor/protocol/commands.hpp"
#include "supervisor/protocol/error_code.hpp"
#include "supervisor/protocol/replies.hpp"
#include "supervisor/protocol/request.hpp"
#include "supervisor/protocol/target.hpp"
