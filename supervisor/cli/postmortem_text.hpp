#pragma once
// Wording and formatting shared by the list and the single view of `corral postmortem`.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "supervisor/postmortem/bundle_reader.hpp"

namespace corral::supervisor::cli {

using postmortem::Bundle;
using postmortem::BundleInfo;

// ANSI colors, or none: every method returns `text` untouched when `color` is false.
struct Style {
    bool color = false;

    std::string paint(std::string_view code, std::string_view text) const;
    std::string bold(std::string_view text) const { return paint("1", text); }
    std::string dim(std::string_view text) const { return paint("2", text); }
    std::string red(std::string_view text) const { return paint("31", text); }
    std::string green(std::string_view text) const { return paint("32", text); }
    std::string yellow(std::string_view text) const { return paint("33", text); }
    std::string cyan(std::string_view text) const { return paint("36", text); }
    // The reason, red for deaths by memory or signal, yellow for corral's own kills and failed exits.
    std::string reason(const BundleInfo& info) const;
    // A chart or sparkline line: blocks cyan, the limit's dashes and label red.
    std::string chart_line(const std::string& line) const;
};

// Whether to color what goes to `fd`: it is a terminal, NO_COLOR is unset or empty, TERM is not "dumb".
bool color_wanted(int fd);

// "2026-11-25T13:15:00.123Z" -> "2026-11-25 13:15:00.123 UTC" (other text as it is).
std::string format_timestamp(std::string_view iso);
// When an instance died, to the minute, for the list: "11-25 13:15" (from ended_at, else the id's time).
// The year and the seconds are in the id beside it; without them the table fits 100 columns.
std::string format_when(const BundleInfo& info);

// "SIGKILL", "1", or "-" when unknown.
std::string exit_text(const BundleInfo& info);
// "killed by the kernel's OOM killer (memory cgroup out of memory)"
std::string reason_words(const BundleInfo& info);

// Wraps at spaces to `width` columns, for printing after a prefix of `indent` columns: lines after the
// first start with `indent` spaces.
std::string wrap(std::string_view text, std::size_t width, std::size_t indent);
// Cuts to `width` columns, ending in "…" when cut.
std::string fit_width(std::string_view text, std::size_t width);
// Program output made safe for a terminal: escape sequences removed, other control characters as '?'.
std::string clean_line(std::string_view line);

}  // namespace corral::supervisor::cli
