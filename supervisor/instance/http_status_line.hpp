#pragma once
// The verdict of an HTTP readiness check from the first bytes of the answer. Only the status line is read
// (Debian 12 ships no C HTTP parser library, and readiness needs nothing past the status code): the
// headers and the body are never looked at. "HTTP/1.x 2xx" is ready; any other status is not (a 3xx is not
// followed); an interim 1xx answer (103 Early Hints) is skipped up to the blank line that ends it, and the
// status line after it decides.
#include <cstddef>
#include <string>
#include <string_view>

namespace corral::supervisor {

// At most this much of an answer is read: a status line longer than that is not an answer.
inline constexpr std::size_t kMaxHttpAnswer = 8 * 1024;

struct HttpStatusVerdict {
    enum class State { incomplete, ready, not_ready };
    State state = State::incomplete;
    std::string failure;  // not_ready: "HTTP 503 Service Unavailable", "the answer is not HTTP: \"SSH-2.0\""
};

// Judges `received`, the answer read so far (at most kMaxHttpAnswer bytes). `incomplete` until a status
// line is complete, except that bytes which cannot begin one are judged at once.
HttpStatusVerdict judge_http_answer(std::string_view received);

}  // namespace corral::supervisor
