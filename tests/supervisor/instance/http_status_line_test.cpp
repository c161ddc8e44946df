// The verdict of an HTTP readiness check from the status line of the answer.
#include "supervisor/instance/http_status_line.hpp"

#include <doctest/doctest.h>

#include <string>
#include <string_view>

using corral::supervisor::HttpStatusVerdict;
using corral::supervisor::judge_http_answer;
using corral::supervisor::kMaxHttpAnswer;
using State = HttpStatusVerdict::State;

TEST_CASE("http answers: a 2xx status line is ready, headers or not") {
    for (const std::string_view answer : {"HTTP/1.1 200 OK\r\n", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
                                          "HTTP/1.0 204 No Content\r\n", "HTTP/1.1 299\r\n", "HTTP/1.1 200\n",
                                          "HTTP/1.1 200 \r\n"}) {
        CAPTURE(answer);
        CHECK(judge_http_answer(answer).state == State::ready);
    }
}

TEST_CASE("http answers: any other status is not ready and says which") {
    struct Case {
        std::string_view answer;
        std::string_view failure;
    };
    const Case cases[] = {
        {"HTTP/1.1 503 Service Unavailable\r\n", "HTTP 503 Service Unavailable"},
        {"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", "HTTP 404 Not Found"},
        {"HTTP/1.1 301 Moved Permanently\r\nLocation: /x\r\n\r\n", "HTTP 301 Moved Permanently"},
        {"HTTP/1.1 500\r\n", "HTTP 500"},
        {"HTTP/1.1 199 Odd\r\n\r\nHTTP/1.1 600 Beyond\r\n", "HTTP 600 Beyond"},
        {"HTTP/1.1 503 \x01\xff\r\n", "HTTP 503 \\x01\\xff"},
        {"SSH-2.0-OpenSSH_9.2\r\n", "the answer is not HTTP/1.x: \"SSH-2.0-OpenSSH_9.2\""},
        {"HTTP/2 200\r\n", "the answer is not HTTP/1.x: \"HTTP/2 200\""},
        {"http/1.1 200 OK\r\n", "the answer is not HTTP/1.x: \"http/1.1 200 OK\""},
        {"HTTP/1.1 20 OK\r\n", "not an HTTP status line: \"HTTP/1.1 20 OK\""},
        {"HTTP/1.1 2000 OK\r\n", "not an HTTP status line: \"HTTP/1.1 2000 OK\""},
        {"HTTP/1.1  200 OK\r\n", "not an HTTP status line: \"HTTP/1.1  200 OK\""},
        {"HTTP/1.x 200 OK\r\n", "not an HTTP status line: \"HTTP/1.x 200 OK\""},
        {"HTTP/1.1 099 OK\r\n", "not an HTTP status line: \"HTTP/1.1 099 OK\""},
    };
    for (const Case& c : cases) {
        CAPTURE(c.answer);
        const HttpStatusVerdict verdict = judge_http_answer(c.answer);
        CHECK(verdict.state == State::not_ready);
        CHECK(verdict.failure == c.failure);
    }
}

TEST_CASE("http answers: a status line read in pieces is incomplete until its line ends") {
    const std::string answer = "HTTP/1.1 200 OK\r\n";
    for (std::size_t size = 0; size < answer.size(); ++size) {
        CAPTURE(size);
        CHECK(judge_http_answer(std::string_view(answer).substr(0, size)).state == State::incomplete);
    }
    CHECK(judge_http_answer(answer).state == State::ready);
}

TEST_CASE("http answers: bytes that cannot begin a status line are judged at once") {
    const HttpStatusVerdict verdict = judge_http_answer("<html");
    CHECK(verdict.state == State::not_ready);
    CHECK(verdict.failure == "the answer is not HTTP/1.x: \"<html\"");
    CHECK(judge_http_answer("HTTP/1.").state == State::incomplete);
    CHECK(judge_http_answer("HTTP/3").state == State::not_ready);
}

TEST_CASE("http answers: an interim 1xx answer is skipped, the final status decides") {
    CHECK(judge_http_answer("HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\nHTTP/1.1 200 OK\r\n").state == State::ready);
    CHECK(judge_http_answer("HTTP/1.1 100 Continue\n\nHTTP/1.1 204\n").state == State::ready);
    CHECK(judge_http_answer("HTTP/1.1 100 Continue\r\n\r\n").state == State::incomplete);
    CHECK(judge_http_answer("HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n").state == State::incomplete);
    const HttpStatusVerdict verdict = judge_http_answer("HTTP/1.1 103 Early Hints\r\n\r\nHTTP/1.1 502 Bad Gateway\r\n");
    CHECK(verdict.state == State::not_ready);
    CHECK(verdict.failure == "HTTP 502 Bad Gateway");
}

TEST_CASE("http answers: a long reason is clipped, a status line past 8 KiB is refused") {
    const HttpStatusVerdict clipped = judge_http_answer("HTTP/1.1 503 " + std::string(100, 'x') + "\r\n");
    CHECK(clipped.failure == "HTTP 503 " + std::string(40, 'x') + "...");
    std::string endless = "HTTP/1.1 200 " + std::string(kMaxHttpAnswer - 14, 'x');
    CHECK(judge_http_answer(endless).state == State::incomplete);
    endless += 'x';
    REQUIRE(endless.size() == kMaxHttpAnswer);
    const HttpStatusVerdict verdict = judge_http_answer(endless);
    CHECK(verdict.state == State::not_ready);
    CHECK(verdict.failure == "no complete HTTP status line in the first 8KiB of the answer");
}
