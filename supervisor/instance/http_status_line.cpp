#include "supervisor/instance/http_status_line.hpp"

#include <algorithm>
#include <cstdio>

namespace corral::supervisor {
namespace {

constexpr std::string_view kVersionPrefix = "HTTP/1.";
constexpr std::size_t kShownBytes = 40;

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// The server's bytes as a failure shows them: printable ASCII, the rest as \xNN, clipped.
std::string printable(std::string_view bytes) {
    std::string text;
    for (const char c : bytes.substr(0, kShownBytes)) {
        if (c >= ' ' && c < 0x7f && c != '"' && c != '\\') {
            text += c;
        } else {
            char code[8];
            std::snprintf(code, sizeof code, "\\x%02x", static_cast<unsigned char>(c));
            text += code;
        }
    }
    if (bytes.size() > kShownBytes) text += "...";
    return text;
}

std::string shown(std::string_view bytes) { return "\"" + printable(bytes) + "\""; }

HttpStatusVerdict not_ready(std::string failure) {
    return {HttpStatusVerdict::State::not_ready, std::move(failure)};
}

HttpStatusVerdict incomplete(std::size_t received) {
    if (received < kMaxHttpAnswer) return {};
    return not_ready("no complete HTTP status line in the first 8KiB of the answer");
}

// Where the bytes after the blank line that ends a head begin, the head's first line ending at `line_end`
// (its '\n'); npos while the blank line has not come.
std::size_t after_head(std::string_view text, std::size_t line_end) {
    for (std::size_t at = line_end; at != std::string_view::npos && at < text.size(); at = text.find('\n', at + 1)) {
        if (at + 1 < text.size() && text[at + 1] == '\n') return at + 2;
        if (at + 2 < text.size() && text[at + 1] == '\r' && text[at + 2] == '\n') return at + 3;
    }
    return std::string_view::npos;
}

// "HTTP/1.1 503 Service Unavailable": its status code, or -1 when the line is not a status line.
int status_code(std::string_view line, std::string_view& reason) {
    if (line.size() < 12 || !line.starts_with(kVersionPrefix) || !is_digit(line[7]) || line[8] != ' ') return -1;
    if (!std::all_of(line.begin() + 9, line.begin() + 12, is_digit)) return -1;
    if (line.size() > 12 && line[12] != ' ') return -1;
    reason = line.size() > 13 ? line.substr(13) : std::string_view();
    return (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
}

}  // namespace

HttpStatusVerdict judge_http_answer(std::string_view received) {
    std::string_view rest = received;
    for (;;) {
        const std::size_t known = std::min(rest.size(), kVersionPrefix.size());
        if (rest.substr(0, known) != kVersionPrefix.substr(0, known)) {
            std::string_view first_line = rest.substr(0, rest.find('\n'));
            if (first_line.ends_with('\r')) first_line.remove_suffix(1);
            return not_ready("the answer is not HTTP/1.x: " + shown(first_line));
        }
        const std::size_t line_end = rest.find('\n');
        if (line_end == std::string_view::npos) return incomplete(received.size());
        std::string_view line = rest.substr(0, line_end);
        if (line.ends_with('\r')) line.remove_suffix(1);
        std::string_view reason;
        const int code = status_code(line, reason);
        if (code < 100) return not_ready("not an HTTP status line: " + shown(line));
        if (code >= 200 && code <= 299) return {HttpStatusVerdict::State::ready, {}};
        if (code >= 200) {
            return not_ready("HTTP " + std::to_string(code) + (reason.empty() ? "" : " " + printable(reason)));
        }
        // An interim answer: its head is skipped, the final status line follows it.
        const std::size_t next = after_head(rest, line_end);
        if (next == std::string_view::npos) return incomplete(received.size());
        rest = rest.substr(next);
    }
}

}  // namespace corral::supervisor
