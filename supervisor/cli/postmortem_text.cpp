#include "supervisor/cli/postmortem_text.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "policies/exit_classification.hpp"
#include "supervisor/cli/sparkline.hpp"

namespace corral::supervisor::cli {
namespace {

bool continuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

// Byte length of the UTF-8 character starting at text[i].
std::size_t char_length(std::string_view text, std::size_t i) {
    std::size_t n = 1;
    while (i + n < text.size() && continuation(text[i + n])) ++n;
    return n;
}

}  // namespace

std::string Style::paint(std::string_view code, std::string_view text) const {
    if (!color || text.empty()) return std::string(text);
    return "\x1b[" + std::string(code) + "m" + std::string(text) + "\x1b[0m";
}

std::string Style::reason(const BundleInfo& info) const {
    const std::string_view r = info.reason;
    if (r == "oom-kill" || r == "oom-kill-global" || r == "v8-heap-oom" || r == "signal") return red(r);
    if (r == "thrashing" || r == "memory-limit" || r == "hung") return yellow(r);
    if (r == "exit-code" && info.exit_code.value_or(0) != 0) return yellow(r);
    return std::string(r);
}

std::string Style::chart_line(const std::string& line) const {
    if (!color) return line;
    // Runs of one kind of character get one color: blocks, dashes (with the limit's label), the rest.
    enum Kind { other, block, dash };
    std::string out;
    std::string run;
    Kind run_kind = other;
    const auto flush = [&] {
        out += run_kind == block ? cyan(run) : run_kind == dash ? red(run) : run;
        run.clear();
    };
    for (std::size_t i = 0; i < line.size();) {
        const std::size_t n = char_length(line, i);
        const std::string_view c(line.data() + i, n);
        Kind kind = other;
        if (c >= "▁" && c <= "█" && n == 3) kind = block;
        if (c == "╌") kind = dash;
        if (kind != run_kind) {
            flush();
            run_kind = kind;
        }
        run += c;
        i += n;
    }
    if (run_kind == other && run == " memory.max") run_kind = dash;
    flush();
    return out;
}

bool color_wanted(int fd) {
    const char* no_color = std::getenv("NO_COLOR");
    const char* term = std::getenv("TERM");
    return isatty(fd) == 1 && (no_color == nullptr || *no_color == '\0') &&
           !(term != nullptr && std::strcmp(term, "dumb") == 0);
}

std::string format_timestamp(std::string_view iso) {
    if (iso.size() < 20 || iso[10] != 'T' || iso.back() != 'Z') return std::string(iso);
    std::string text(iso.substr(0, iso.size() - 1));
    text[10] = ' ';
    return text + " UTC";
}

std::string format_when(const BundleInfo& info) {
    const std::string& e = info.ended_at;  // "2026-11-25T13:15:00.123Z"
    if (e.size() >= 16 && e[4] == '-' && e[10] == 'T') return e.substr(5, 5) + " " + e.substr(11, 5);
    const std::string& t = info.time;  // "20261125T131500.123Z"
    if (t.size() >= 13 && t[8] == 'T') return t.substr(4, 2) + "-" + t.substr(6, 2) + " " + t.substr(9, 2) + ":" + t.substr(11, 2);
    return t;
}

std::string exit_text(const BundleInfo& info) {
    if (info.exit_signal) return *info.exit_signal;
    if (info.exit_code) return std::to_string(*info.exit_code);
    return "-";
}

std::string reason_words(const BundleInfo& info) {
    const auto reason = policies::exit_reason_from(info.reason);
    if (!reason) return "an unknown reason";
    if (*reason == policies::ExitReason::signal) return info.exit_signal ? "killed by " + *info.exit_signal : "killed by a signal";
    if (*reason == policies::ExitReason::exit_code) {
        return info.exit_code ? "exited by itself with code " + std::to_string(*info.exit_code) : "exited by itself";
    }
    return std::string(policies::explain(*reason));
}

std::string wrap(std::string_view text, std::size_t width, std::size_t indent) {
    std::string out;
    std::size_t column = indent;  // the first line continues a prefix of `indent` columns
    std::size_t start = 0;
    while (start < text.size()) {
        auto end = text.find(' ', start);
        if (end == std::string_view::npos) end = text.size();
        const std::string word(text.substr(start, end - start));
        const std::size_t w = display_width(word);
        if (column > indent && column + 1 + w > width) {
            out += "\n" + std::string(indent, ' ');
            column = indent;
        } else if (!out.empty()) {
            out += ' ';
            ++column;
        }
        out += word;
        column += w;
        start = end + 1;
    }
    return out;
}

std::string fit_width(std::string_view text, std::size_t width) {
    if (display_width(std::string(text)) <= width) return std::string(text);
    std::string out;
    std::size_t columns = 0;
    for (std::size_t i = 0; i < text.size() && columns + 1 < width;) {
        const std::size_t n = char_length(text, i);
        out.append(text.substr(i, n));
        i += n;
        ++columns;
    }
    return out + "…";
}

std::string clean_line(std::string_view line) {
    std::string out;
    for (std::size_t i = 0; i < line.size(); ++i) {
        const unsigned char c = static_cast<unsigned char>(line[i]);
        if (c == 0x1b) {
            // CSI "ESC [ ... final" (colors, cursor moves); any other escape: drop ESC and the next byte.
            if (i + 1 < line.size() && line[i + 1] == '[') {
                i += 2;
                while (i < line.size() && !(line[i] >= 0x40 && line[i] <= 0x7e)) ++i;
            } else {
                ++i;
            }
        } else if (c == '\t') {
            out += "    ";
        } else if (c < 0x20 || c == 0x7f) {
            out += '?';
        } else {
            out += static_cast<char>(c);
        }
    }
    return out;
}

}  // namespace corral::supervisor::cli
