#include "tests/integration/metrics_tools.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "base/unique_fd.hpp"

namespace corral::test {
namespace {

constexpr timeval kIoTimeout{5, 0};

std::string lower(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
    return text;
}

// A chunked body, decoded.
std::string unchunk(const std::string& body) {
    std::string out;
    for (std::size_t at = 0; at < body.size();) {
        const std::size_t line_end = body.find("\r\n", at);
        if (line_end == std::string::npos) break;
        const std::size_t size = std::strtoul(body.substr(at, line_end - at).c_str(), nullptr, 16);
        if (size == 0) break;
        out += body.substr(line_end + 2, size);
        at = line_end + 2 + size + 2;
    }
    return out;
}

std::string percent_encode(const std::string& text) {
    static const char* hex = "0123456789ABCDEF";
    std::string out;
    for (const unsigned char c : text) {
        if (std::isalnum(c) || c == '_' || c == '-' || c == '.' || c == '~') {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    return out;
}

// Waits for `pid` up to `timeout`; its wait status, or nullopt.
std::optional<int> wait_for(pid_t pid, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        int status = 0;
        if (::waitpid(pid, &status, WNOHANG) == pid) return status;
        if (std::chrono::steady_clock::now() > deadline) return std::nullopt;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
}

// Forks and execs `argv` with stdin from `input` and stdout + stderr to `output` (files); the child dies with us.
pid_t spawn(const std::vector<std::string>& argv, const std::filesystem::path& input, const std::filesystem::path& output) {
    const pid_t pid = ::fork();
    if (pid != 0) return pid;
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    const int in = ::open(input.c_str(), O_RDONLY);
    const int out = ::open(output.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (in < 0 || out < 0) ::_exit(126);
    ::dup2(in, 0);
    ::dup2(out, 1);
    ::dup2(out, 2);
    std::vector<char*> args;
    for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
}

}  // namespace

std::optional<HttpAnswer> http_request(const std::string& host, std::uint16_t port, const std::string& method,
                                       const std::string& path) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    if (::inet_pton(AF_INET, host.c_str(), &address.sin_addr) != 1) return std::nullopt;
    UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &kIoTimeout, sizeof kIoTimeout);
    ::setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &kIoTimeout, sizeof kIoTimeout);
    if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) return std::nullopt;
    const std::string request = method + " " + path + " HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n" +
                                (method == "POST" ? "Content-Length: 0\r\n" : "") + "\r\n";
    if (::send(fd.get(), request.data(), request.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(request.size())) {
        return std::nullopt;
    }
    std::string text;
    char chunk[16384];
    for (ssize_t n; (n = ::recv(fd.get(), chunk, sizeof chunk, 0)) > 0;) text.append(chunk, static_cast<std::size_t>(n));
    const std::size_t head_end = text.find("\r\n\r\n");
    if (head_end == std::string::npos || text.rfind("HTTP/1.", 0) != 0) return std::nullopt;
    HttpAnswer answer;
    answer.status = std::atoi(text.c_str() + 9);
    std::istringstream head(text.substr(0, head_end));
    std::string line;
    std::getline(head, line);
    while (std::getline(head, line)) {
        const auto colon = line.find(':');
        if (colon == std::string::npos) continue;
        std::string value = line.substr(colon + 1);
        value.erase(0, value.find_first_not_of(' '));
        if (!value.empty() && value.back() == '\r') value.pop_back();
        answer.headers[lower(line.substr(0, colon))] = value;
    }
    answer.body = text.substr(head_end + 4);
    if (lower(answer.headers["transfer-encoding"]) == "chunked") answer.body = unchunk(answer.body);
    return answer;
}

std::pair<std::string, std::uint16_t> split_address(const std::string& address) {
    const auto colon = address.rfind(':');
    return {address.substr(0, colon), static_cast<std::uint16_t>(std::atoi(address.c_str() + colon + 1))};
}

std::optional<std::filesystem::path> find_program(const std::string& program) {
    const char* path = std::getenv("PATH");
    std::istringstream dirs(path != nullptr ? path : "/usr/bin:/bin");
    for (std::string dir; std::getline(dirs, dir, ':');) {
        const std::filesystem::path candidate = std::filesystem::path(dir) / program;
        if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    }
    return std::nullopt;
}

ToolResult run_tool(const std::vector<std::string>& argv, const std::string& input, std::chrono::milliseconds timeout) {
    TempDir dir;
    const auto in = dir.write("stdin", input);
    const auto out = dir / "output";
    const pid_t pid = spawn(argv, in, out);
    ToolResult result;
    if (const auto status = wait_for(pid, timeout)) {
        result.exit_code = WIFEXITED(*status) ? WEXITSTATUS(*status) : 128 + WTERMSIG(*status);
    } else {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, nullptr, 0);
    }
    result.output = read_file(out);
    return result;
}

std::map<std::string, double> samples_of(const std::string& exposition) {
    std::map<std::string, double> samples;
    std::istringstream lines(exposition);
    for (std::string line; std::getline(lines, line);) {
        if (line.empty() || line[0] == '#') continue;
        const auto space = line.rfind(' ');
        samples[line.substr(0, space)] = std::strtod(line.c_str() + space + 1, nullptr);
    }
    return samples;
}

PrometheusServer::PrometheusServer(const std::filesystem::path& binary, std::uint16_t port, const std::string& target)
    : port_(port) {
    const auto config = dir_.write("prometheus.yml", "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                                                     "scrape_configs:\n  - job_name: corral\n    static_configs:\n"
                                                     "      - targets: ['" + target + "']\n");
    const auto input = dir_.write("stdin", "");
    pid_ = spawn({binary.string(), "--config.file=" + config.string(), "--storage.tsdb.path=" + (dir_ / "data").string(),
                  "--web.listen-address=127.0.0.1:" + std::to_string(port), "--log.level=warn"},
                 input, dir_ / "prometheus.log");
}

PrometheusServer::~PrometheusServer() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    if (!wait_for(pid_, std::chrono::seconds(10))) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
    }
}

std::vector<double> PrometheusServer::query(const std::string& promql) const {
    std::vector<double> values;
    const auto answer = http_request("127.0.0.1", port_, "GET", "/api/v1/query?query=" + percent_encode(promql));
    if (!answer || answer->status != 200) return values;
    const auto reply = nlohmann::json::parse(answer->body, nullptr, false);
    if (!reply.is_object() || reply.value("status", "") != "success") return values;
    for (const auto& sample : reply["data"]["result"]) values.push_back(std::stod(sample["value"][1].get<std::string>()));
    return values;
}

std::string PrometheusServer::log() const { return read_file(dir_ / "prometheus.log"); }

}  // namespace corral::test
