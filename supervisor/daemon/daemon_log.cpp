#include "supervisor/daemon/daemon_log.hpp"

#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "policies/error_throttle.hpp"

namespace corral::supervisor {
namespace {

// A sink that cannot write (the state directory's disk is full) would report each failed line, once a
// second, on stderr: once a minute, or when the error changes, is enough.
void report_log_error(const std::string& message) {
    static policies::ErrorThrottle throttle;
    const policies::ThrottleVerdict verdict = throttle.failed(message, policies::Clock::now());
    if (!verdict.log) return;
    std::fprintf(stderr, "corral: the daemon's log cannot be written: %s%s\n", message.c_str(),
                 verdict.suppressed > 0 ? (" (" + std::to_string(verdict.suppressed) + " more since)").c_str() : "");
}

}  // namespace

bool setup_daemon_log(const std::filesystem::path& file, bool to_stderr, std::string& error) {
    std::vector<spdlog::sink_ptr> sinks;
    if (to_stderr) {
        auto console = std::make_shared<spdlog::sinks::stderr_color_sink_st>();
        console->set_pattern("%H:%M:%S.%e %^%-7l%$ %v");
        sinks.push_back(console);
    }
    bool ok = true;
    try {
        auto rotating = std::make_shared<spdlog::sinks::rotating_file_sink_st>(file.string(), 10 << 20, 3);
        rotating->set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %-7l %v");
        sinks.push_back(rotating);
    } catch (const spdlog::spdlog_ex& e) {
        error = e.what();
        ok = false;
    }
    auto logger = std::make_shared<spdlog::logger>("corral", sinks.begin(), sinks.end());
    const char* level = std::getenv("CORRAL_LOG_LEVEL");  // e.g. "debug"
    logger->set_level(level != nullptr ? spdlog::level::from_str(level) : spdlog::level::info);
    logger->flush_on(spdlog::level::info);
    logger->set_error_handler(report_log_error);
    spdlog::set_default_logger(logger);
    return ok;
}

}  // namespace corral::supervisor
