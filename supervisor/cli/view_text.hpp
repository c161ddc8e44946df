#pragma once
// Small formats shared by the views of the client commands: times, instance names, states, tables.
// Pure functions; colors come from Style, sizes and durations from postmortem_text and
// policies/duration_text.
#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "supervisor/cli/postmortem_text.hpp"

namespace corral::supervisor::cli {

using Json = nlohmann::ordered_json;
using WallClock = std::chrono::system_clock;

// "2026-11-25T13:15:00.123Z" (or without the fraction) -> the time; nullopt for anything else.
std::optional<WallClock::time_point> parse_iso_utc(std::string_view text);
// A "time" or "at" field: an ISO UTC string or milliseconds since the epoch.
std::optional<WallClock::time_point> time_of(const Json& value);

// How long ago, coarsely: "0s ago", "42s ago", "5m ago", "3h ago", "2d ago".
std::string format_ago(std::chrono::milliseconds elapsed);

// "13:15:00" in local time, or in UTC with `utc`.
std::string clock_time(WallClock::time_point at, bool utc);

// "api#0" from {"service":"api","index":0}, or the "instance" field when there is one; "?" otherwise.
std::string instance_name(const Json& instance);

// The state in its color: running green, backoff and stopping yellow, failed red, stopped and exited dim.
std::string paint_state(const Style& style, std::string_view state);

// A bar of `cells` cells between "▕" and "▏", filled to `fraction` (0..1) in eighths of a cell:
// 0.3 of 8 -> "▕██▍     ▏". A non-zero fraction shows at least one eighth.
std::string bar(double fraction, std::size_t cells = 8);

// A string member, or `fallback` when missing or not a string.
std::string text_of(const Json& object, std::string_view key, std::string fallback = "");

// Columns separated by two spaces, each as wide as its widest cell (in display columns), the last one not
// padded. `paint(row, column, cell)` colors a cell after its width was counted; row -1 is the header.
using Row = std::vector<std::string>;
std::string render_table(const Row& header, const std::vector<Row>& rows,
                         const std::function<std::string(int, std::size_t, const std::string&)>& paint);

}  // namespace corral::supervisor::cli
