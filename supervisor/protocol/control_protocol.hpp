#pragma once
// The control protocol between the CLI (and scripts) and the daemon, over <state_dir>/corral.sock:
// newline-delimited JSON, versioned.
//
//   request   {"v":1,"id":7,"cmd":"restart","args":{"target":"api#0"}}
//   reply     {"id":7,"ok":true,"result":{...}}
//             {"id":7,"ok":false,"error":{"code":"not_found","message":"no service or instance \"apx\"","details":...}}
//   stream    after the reply to `logs` with follow or `events`: {"id":7,"event":{...}} per line, until the
//             client closes; a client that does not keep up gets
//             {"id":7,"ok":false,"error":{"code":"slow_client",...}} and is disconnected.
//
// A request that cannot be parsed far enough to know its id is answered with "id": null. Error codes:
//   bad_json             the line is not a JSON object
//   bad_request          v, id, cmd or args missing or of the wrong type
//   unsupported_version  v is not 1
//   unknown_command      cmd is not one of kCommands
//   bad_args             an argument is missing, unknown, or of the wrong type or value
//   too_large            the request line is longer than kMaxRequestBytes (the connection is closed)
//   forbidden            the peer's uid is neither the daemon's nor root (the connection is closed)
//   not_found            no such service, instance or post-mortem
//   invalid_config       reload: the file has errors; details = ["FILE:LINE:COL: ...", ...]; nothing changed
//   shutting_down        the daemon is stopping and takes no more commands that start things
//   slow_client          see above
//   failed               anything else that went wrong, with a message saying what
//
// Commands and their arguments (all arguments optional unless marked *):
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
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include <nlohmann/json.hpp>

namespace corral::protocol {

inline constexpr int kProtocolVersion = 1;
inline constexpr std::size_t kMaxRequestBytes = 1 << 20;

inline constexpr std::string_view kCommands[] = {"version", "status",     "start",  "stop",     "restart",
                                                 "signal",  "cool",       "heat",   "reload",   "logs",
                                                 "postmortem", "events",  "shutdown"};
inline constexpr std::int64_t kMostCoolMs = 86'400'000;

struct Request {
    std::int64_t id = 0;
    std::string cmd;
    nlohmann::json args = nlohmann::json::object();  // validated against the command's arguments
};

struct ProtocolError {
    std::optional<std::int64_t> id;  // nullopt when the request's id could not be read
    std::string code;
    std::string message;
};

// Parses and validates one request line (without its newline): the envelope, the command, and the
// names, types and values of its arguments. Never throws. Fields of the request other than v, id, cmd
// and args are ignored; Request::args is kept as sent (defaults such as lines = 100 are the command's to
// apply). Checked in this order: size, JSON, v, id, cmd, then unknown argument names, then each argument
// in the order listed above.
std::variant<Request, ProtocolError> parse_request(std::string_view line);

// One line each, newline included.
std::string reply_ok(std::int64_t id, const nlohmann::json& result);
std::string reply_error(std::optional<std::int64_t> id, std::string_view code, std::string_view message,
                        const nlohmann::json& details = nullptr);
std::string stream_event(std::int64_t id, const nlohmann::json& event);
std::string make_request(std::int64_t id, std::string_view cmd, const nlohmann::json& args = nlohmann::json::object());

// A target: all instances, a service, or one instance.
struct Target {
    std::string service;  // "" for all
    std::optional<unsigned> index;
};
// "all", "api", "api#0"; nullopt (and a message in `error`) for anything else ("api#", "api#x", "#1", "a/b").
std::optional<Target> parse_target(std::string_view text, std::string& error);

}  // namespace corral::protocol
