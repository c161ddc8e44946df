#include "base/line_assembler.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>

namespace corral {

void LineAssembler::emit(std::string_view line, std::string& out) {
    if (prefix_ != nullptr) prefix_(out);
    out.append(line);
    out.push_back('\n');
}

void LineAssembler::feed(std::string_view chunk, std::string& out) {
    while (!chunk.empty()) {
        const std::size_t newline = chunk.find('\n');
        const std::size_t room = max_line_ - partial_.size();
        if (newline != std::string_view::npos && newline <= room) {
            if (partial_.empty()) {
                emit(chunk.substr(0, newline), out);
            } else {
                partial_.append(chunk.substr(0, newline));
                emit(partial_, out);
                partial_.clear();
            }
            chunk.remove_prefix(newline + 1);
        } else if (chunk.size() < room) {
            partial_.append(chunk);
            return;
        } else {
            partial_.append(chunk.substr(0, room));
            emit(partial_, out);
            partial_.clear();
            chunk.remove_prefix(room);
        }
    }
}

void LineAssembler::finish(std::string& out) {
    if (partial_.empty()) return;
    emit(partial_, out);
    partial_.clear();
}

void append_utc_timestamp(std::string& out) {
    const auto now = std::chrono::system_clock::now();
    const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
    const auto millis =
        std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    char text[40];
    const int n = std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ ", utc.tm_year + 1900,
                                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                                static_cast<int>(millis));
    out.append(text, static_cast<std::size_t>(n));
}

}  // namespace corral
