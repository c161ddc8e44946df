#include "supervisor/cli/view_text.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>

#include "supervisor/cli/sparkline.hpp"

namespace corral::supervisor::cli {

namespace {

bool digits(std::string_view text) {
    return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

int number(std::string_view text) {
    int value = 0;
    for (const char c : text) value = value * 10 + (c - '0');
    return value;
}

}  // namespace

std::optional<WallClock::time_point> parse_iso_utc(std::string_view t) {
    // YYYY-MM-DDTHH:MM:SS[.fff...]Z
    if (t.size() < 20 || t[4] != '-' || t[7] != '-' || t[10] != 'T' || t[13] != ':' || t[16] != ':' ||
        t.back() != 'Z') {
        return std::nullopt;
    }
    const std::string_view parts[] = {t.substr(0, 4), t.substr(5, 2), t.substr(8, 2),
                                      t.substr(11, 2), t.substr(14, 2), t.substr(17, 2)};
    for (const auto part : parts) {
        if (!digits(part)) return std::nullopt;
    }
    int millis = 0;
    const std::string_view rest = t.substr(19, t.size() - 20);
    if (!rest.empty()) {
        if (rest[0] != '.' || !digits(rest.substr(1))) return std::nullopt;
        std::string fraction(rest.substr(1, 3));
        fraction.resize(3, '0');
        millis = number(fraction);
    }
    std::tm tm{};
    tm.tm_year = number(parts[0]) - 1900;
    tm.tm_mon = number(parts[1]) - 1;
    tm.tm_mday = number(parts[2]);
    tm.tm_hour = number(parts[3]);
    tm.tm_min = number(parts[4]);
    tm.tm_sec = number(parts[5]);
    const std::time_t seconds = timegm(&tm);
    if (seconds == static_cast<std::time_t>(-1)) return std::nullopt;
    return WallClock::from_time_t(seconds) + std::chrono::milliseconds(millis);
}

std::optional<WallClock::time_point> time_of(const Json& value) {
    if (value.is_string()) return parse_iso_utc(value.get<std::string>());
    if (value.is_number_integer()) return WallClock::time_point(std::chrono::milliseconds(value.get<std::int64_t>()));
    return std::nullopt;
}

std::string format_ago(std::chrono::milliseconds elapsed) {
    const long long s = std::max<long long>(0, elapsed.count() / 1000);
    if (s < 60) return std::to_string(s) + "s ago";
    if (s < 3600) return std::to_string(s / 60) + "m ago";
    if (s < 86400) return std::to_string(s / 3600) + "h ago";
    return std::to_string(s / 86400) + "d ago";
}

std::string clock_time(WallClock::time_point at, bool utc) {
    const std::time_t seconds = WallClock::to_time_t(at);
    std::tm tm{};
    if (utc) {
        gmtime_r(&seconds, &tm);
    } else {
        localtime_r(&seconds, &tm);
    }
    char text[16];
    std::strftime(text, sizeof text, "%H:%M:%S", &tm);
    return text;
}

std::string instance_name(const Json& instance) {
    if (!instance.is_object()) return "?";
    const auto name = instance.find("instance");
    if (name != instance.end() && name->is_string()) return name->get<std::string>();
    const auto service = instance.find("service");
    if (service == instance.end() || !service->is_string()) return "?";
    const auto index = instance.find("index");
    if (index == instance.end() || !index->is_number_integer()) return service->get<std::string>();
    return service->get<std::string>() + "#" + std::to_string(index->get<long long>());
}

std::string paint_state(const Style& style, std::string_view state) {
    if (state == "running") return style.green(state);
    if (state == "backoff" || state == "stopping") return style.yellow(state);
    if (state == "failed") return style.red(state);
    if (state == "stopped" || state == "exited") return style.dim(state);
    return std::string(state);
}

std::string bar(double fraction, std::size_t cells) {
    static constexpr const char* kEighths[] = {"", "▏", "▎", "▍", "▌", "▋", "▊", "▉"};
    if (!(fraction >= 0.0)) fraction = 0.0;  // NaN too
    fraction = std::min(fraction, 1.0);
    auto eighths = static_cast<std::size_t>(std::lround(fraction * static_cast<double>(cells * 8)));
    if (eighths == 0 && fraction > 0.0) eighths = 1;
    std::string text = "▕";
    std::size_t used = 0;
    for (; used < eighths / 8; ++used) text += "█";
    if (eighths % 8 != 0) {
        text += kEighths[eighths % 8];
        ++used;
    }
    text += std::string(cells - used, ' ');
    return text + "▏";
}

std::string text_of(const Json& object, std::string_view key, std::string fallback) {
    if (!object.is_object()) return fallback;
    const auto found = object.find(key);
    if (found == object.end() || !found->is_string()) return fallback;
    return found->get<std::string>();
}

std::string render_table(const Row& header, const std::vector<Row>& rows,
                         const std::function<std::string(int, std::size_t, const std::string&)>& paint) {
    const std::size_t columns = header.size();
    std::vector<std::size_t> widths(columns, 0);
    const auto measure = [&](const Row& row) {
        for (std::size_t c = 0; c < columns && c < row.size(); ++c) {
            widths[c] = std::max(widths[c], display_width(row[c]));
        }
    };
    measure(header);
    for (const auto& row : rows) measure(row);
    // Pads before painting, so escape sequences never count as width.
    const auto line = [&](int index, const Row& row) {
        std::string text;
        for (std::size_t c = 0; c < columns; ++c) {
            const std::string cell = c < row.size() ? row[c] : "";
            text += paint(index, c, cell);
            if (c + 1 < columns) text += std::string(widths[c] - display_width(cell) + 2, ' ');
        }
        while (!text.empty() && text.back() == ' ') text.pop_back();
        return text + "\n";
    };
    std::string out = line(-1, header);
    for (std::size_t r = 0; r < rows.size(); ++r) out += line(static_cast<int>(r), rows[r]);
    return out;
}

}  // namespace corral::supervisor::cli
