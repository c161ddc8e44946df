#include "supervisor/instance/log_reader.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "supervisor/instance/log_index.hpp"

namespace corral::supervisor {
namespace {

constexpr std::streamoff kMostBytesPerFile = 256 * 1024;
constexpr unsigned kMostRotatedFiles = 1000;

// A json-format line written by LogFile fills `out`; false for any other line (read as text).
bool decode_json_line(std::string_view text, LogLine& out) {
    if (!text.starts_with("{\"time\":")) return false;
    const auto object = nlohmann::json::parse(text, nullptr, false);
    if (!object.is_object() || !object.contains("line") || !object["line"].is_string()) return false;
    out.line = object["line"].get<std::string>();
    if (object.contains("time") && object["time"].is_string()) {
        out.unix_ms = parse_iso_utc(object["time"].get<std::string>()).value_or(out.unix_ms);
    }
    if (object.contains("stream") && object["stream"].is_string()) out.stream = object["stream"].get<std::string>();
    if (object.contains("instance") && object["instance"].is_string()) {
        out.instance = object["instance"].get<std::string>();
    }
    return true;
}

struct FileTail {
    std::vector<LogLine> lines;
    bool whole = false;  // the file was read from its first byte
};

// The lines of the last kMostBytesPerFile bytes of `file` (whole lines only).
FileTail read_tail(const std::filesystem::path& file, std::string_view instance, std::string_view stream) {
    FileTail tail;
    std::ifstream in(file, std::ios::binary | std::ios::ate);
    if (!in) return tail;
    const std::streamoff size = in.tellg();
    std::streamoff start = std::max<std::streamoff>(0, size - kMostBytesPerFile);
    std::string text(static_cast<std::size_t>(size - start), '\0');
    in.seekg(start);
    in.read(text.data(), size - start);
    tail.whole = start == 0;
    std::size_t at = 0;
    if (start > 0) at = text.find('\n') == std::string::npos ? text.size() : text.find('\n') + 1;
    const std::vector<IndexRecord> index = read_log_index(index_path(file));
    while (at < text.size()) {
        std::size_t end = text.find('\n', at);
        if (end == std::string::npos) end = text.size();
        tail.lines.push_back(decode_log_line(std::string_view(text.data() + at, end - at), instance, stream,
                                             time_at(index, static_cast<std::uint64_t>(start) + at)));
        at = end + 1;
    }
    return tail;
}

}  // namespace

LogLine decode_log_line(std::string_view text, std::string_view instance, std::string_view stream,
                        std::int64_t unix_ms) {
    LogLine line{unix_ms, std::string(instance), std::string(stream), {}};
    if (!decode_json_line(text, line)) line.line = text;
    return line;
}

std::vector<LogLine> read_log(const std::filesystem::path& log, std::string_view instance, std::string_view stream,
                              const LogQuery& query) {
    std::vector<std::vector<LogLine>> newest_first;
    std::size_t wanted = query.lines;
    for (unsigned rotation = 0; rotation <= kMostRotatedFiles && wanted > 0; ++rotation) {
        const std::filesystem::path file =
            rotation == 0 ? log : std::filesystem::path(log.string() + "." + std::to_string(rotation));
        std::error_code ec;
        if (!std::filesystem::exists(file, ec)) break;
        FileTail tail = read_tail(file, instance, stream);
        std::vector<LogLine>& kept = newest_first.emplace_back();
        bool older_than_since = false;
        for (auto line = tail.lines.rbegin(); line != tail.lines.rend() && kept.size() < wanted; ++line) {
            if (query.since_ms && line->unix_ms < *query.since_ms) {
                older_than_since = true;
                break;
            }
            kept.push_back(std::move(*line));
        }
        wanted -= kept.size();
        std::reverse(kept.begin(), kept.end());
        if (older_than_since || !tail.whole) break;
    }
    std::vector<LogLine> lines;
    for (auto file = newest_first.rbegin(); file != newest_first.rend(); ++file) {
        std::move(file->begin(), file->end(), std::back_inserter(lines));
    }
    return lines;
}

std::vector<LogLine> merge_by_time(const std::vector<std::vector<LogLine>>& logs) {
    std::vector<LogLine> merged;
    for (const auto& log : logs) merged.insert(merged.end(), log.begin(), log.end());
    std::stable_sort(merged.begin(), merged.end(),
                     [](const LogLine& a, const LogLine& b) { return a.unix_ms < b.unix_ms; });
    return merged;
}

std::optional<std::int64_t> parse_iso_utc(std::string_view text) {
    std::tm tm{};
    int consumed = 0;
    const std::string copy(text);
    if (std::sscanf(copy.c_str(), "%4d-%2d-%2dT%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
                    &tm.tm_min, &consumed) != 5 || consumed != 16) {
        return std::nullopt;
    }
    std::string_view rest = text.substr(16);
    int millis = 0;
    if (rest.size() >= 3 && rest[0] == ':' && std::isdigit(rest[1]) && std::isdigit(rest[2])) {
        tm.tm_sec = (rest[1] - '0') * 10 + (rest[2] - '0');
        rest.remove_prefix(3);
        if (rest.size() >= 4 && rest[0] == '.' && std::all_of(rest.begin() + 1, rest.begin() + 4, ::isdigit)) {
            millis = std::stoi(std::string(rest.substr(1, 3)));
            rest.remove_prefix(4);
        }
    }
    if (rest == "Z") rest.remove_prefix(1);
    if (!rest.empty() || tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 ||
        tm.tm_min > 59 || tm.tm_sec > 60) {
        return std::nullopt;
    }
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return static_cast<std::int64_t>(timegm(&tm)) * 1000 + millis;
}

std::string iso_utc_ms(std::int64_t unix_ms) {
    const std::time_t seconds = static_cast<std::time_t>(unix_ms / 1000);
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    char text[64];
    std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900, utc.tm_mon + 1,
                  utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, static_cast<int>(unix_ms % 1000));
    return text;
}

}  // namespace corral::supervisor
