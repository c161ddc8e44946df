#pragma once
// For the metrics tests: plain HTTP requests to the daemon's endpoint and to Prometheus, the tools of
// Debian's prometheus package (promtool, and a Prometheus server run for one test), and reading the text
// format back.
//
// A PrometheusServer is stopped by PID (SIGTERM, then SIGKILL) and its storage directory removed by its
// destructor, whether the test passed or not; it dies with the test process (PR_SET_PDEATHSIG) if that
// dies first.
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "tests/support/temp_dir.hpp"

namespace corral::test {

struct HttpAnswer {
    int status = 0;
    std::map<std::string, std::string> headers;  // names in lower case
    std::string body;
};

// One request on a fresh connection (Connection: close), read to the end; nullopt when no answer came
// within a few seconds.
std::optional<HttpAnswer> http_request(const std::string& host, std::uint16_t port, const std::string& method,
                                       const std::string& path);

// "127.0.0.1:41234" -> ("127.0.0.1", 41234).
std::pair<std::string, std::uint16_t> split_address(const std::string& address);

// The full path of `program` found in PATH, or nullopt.
std::optional<std::filesystem::path> find_program(const std::string& program);

struct ToolResult {
    int exit_code = -1;  // -1: it did not end within the timeout (it was killed)
    std::string output;  // stdout and stderr together
};
// Runs `argv` with `input` on its stdin, to completion or `timeout`.
ToolResult run_tool(const std::vector<std::string>& argv, const std::string& input,
                    std::chrono::milliseconds timeout = std::chrono::seconds(30));

// "name{labels}" -> value, for every sample of a text exposition.
std::map<std::string, double> samples_of(const std::string& exposition);

class PrometheusServer {
public:
    // Starts `prometheus` on 127.0.0.1:`port`, scraping `target` ("127.0.0.1:41234") every second, with its
    // storage in a directory of its own.
    PrometheusServer(const std::filesystem::path& binary, std::uint16_t port, const std::string& target);
    ~PrometheusServer();
    PrometheusServer(const PrometheusServer&) = delete;
    PrometheusServer& operator=(const PrometheusServer&) = delete;

    pid_t pid() const { return pid_; }
    std::uint16_t port() const { return port_; }
    // The values of an instant query's vector result (empty while there is none).
    std::vector<double> query(const std::string& promql) const;
    std::string log() const;

private:
    TempDir dir_;
    std::uint16_t port_;
    pid_t pid_ = -1;
};

}  // namespace corral::test
