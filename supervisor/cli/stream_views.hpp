#pragma once
// The lines of `corral logs` and `corral events`, one JSON object in, one line out.
//
// logs, one instance:    GET /health 200
// logs, several:         api#0    | GET /health 200
//                        worker#1 ! TypeError: x is undefined       ('!' marks stderr; red on a terminal)
// events:                12:01:02 api#0 running -> backoff: exited with code 1 after 2.6s
#include <cstddef>
#include <string>

#include "supervisor/cli/view_text.hpp"

namespace corral::supervisor::cli {

struct LogsView {
    bool prefix = false;         // several instances: each line starts with its instance's name
    std::size_t prefix_width = 0;  // the names are padded to this width
    bool clean = false;          // on a terminal: escape sequences and control characters removed
    Style style;
};

// {"instance":"api#0","stream":"out"|"err","line":"..."} -> the line, newline included. Without a prefix,
// stderr lines are red on a terminal; with one, their prefix is red and ends in '!' instead of '|'.
std::string render_log_line(const Json& line, const LogsView& view);

struct EventsView {
    bool utc = false;  // times in UTC instead of local time (for tests)
    Style style;
};

// {"time":...,"instance":"api#0","from":"running","to":"backoff","reason":"..."} -> one line, newline
// included. Events of other shapes print their time, instance, and the rest as JSON.
std::string render_event(const Json& event, const EventsView& view);

}  // namespace corral::supervisor::cli
