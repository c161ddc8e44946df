#include "supervisor/cli/sparkline.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <limits>
#include <string_view>

namespace corral::supervisor::cli {
namespace {

constexpr std::array<std::string_view, 8> kBlocks = {"▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
constexpr std::string_view kDash = "╌";
constexpr double kMiB = 1024.0 * 1024.0;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// The highest non-NaN value, or NaN when there is none.
double highest(const std::vector<double>& values) {
    double high = kNaN;
    for (const double v : values) {
        if (!std::isnan(v) && (std::isnan(high) || v > high)) high = v;
    }
    return high;
}

// The smallest round number of MiB (1, 1.5, 2, 2.5, 3, 4, 5, 6 or 8 times a power of ten) >= mib.
double round_up_mib(double mib) {
    static constexpr std::array<double, 10> kSteps = {1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10};
    const double power = std::pow(10.0, std::floor(std::log10(mib)));
    for (const double step : kSteps) {
        if (step * power >= mib * (1 - 1e-12)) return step * power;
    }
    return 10 * power;
}

std::string format_mib(double bytes, int decimals) {
    char text[32];
    std::snprintf(text, sizeof text, "%.*f", decimals, bytes / kMiB);
    return text;
}

}  // namespace

std::size_t display_width(const std::string& text) {
    std::size_t width = 0;
    for (const char c : text) {
        if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++width;  // not a continuation byte
    }
    return width;
}

std::vector<double> resample_max(const std::vector<double>& values, std::size_t width) {
    if (values.size() <= width) return values;
    std::vector<double> columns(width, kNaN);
    const std::size_t n = values.size();
    for (std::size_t column = 0; column < width; ++column) {
        const std::size_t begin = column * n / width;
        const std::size_t end = (column + 1) * n / width;
        columns[column] = highest(std::vector<double>(values.begin() + static_cast<std::ptrdiff_t>(begin),
                                                      values.begin() + static_cast<std::ptrdiff_t>(end)));
    }
    return columns;
}

std::string sparkline(const std::vector<double>& values, std::size_t width, std::optional<double> top) {
    const std::vector<double> columns = resample_max(values, width);
    double low = 0;
    for (const double v : columns) {
        if (!std::isnan(v)) low = std::min(low, v);
    }
    double high = highest(columns);
    if (top && (std::isnan(high) || *top > high)) high = *top;
    std::string line;
    for (const double v : columns) {
        if (std::isnan(v)) {
            line += ' ';
            continue;
        }
        const double share = high > low ? (v - low) / (high - low) : 0.0;
        const long level = std::clamp(std::lround(share * 7), 0L, 7L);
        line += kBlocks[static_cast<std::size_t>(level)];
    }
    return line;
}

std::vector<std::string> chart(const std::vector<double>& values, std::size_t width, std::size_t height,
                               std::optional<double> limit, const std::optional<ChartAxis>& x_axis) {
    const std::vector<double> columns = resample_max(values, width);
    const double high = highest(columns);
    if (std::isnan(high) || height == 0) return {"no samples"};
    // A plain double: GCC 12 sees optional<double> as maybe uninitialized below.
    const double limit_value = limit.value_or(0.0);
    const bool has_limit = limit_value > 0;

    double top = 0;
    if (has_limit) {
        top = std::max(limit_value, high);
    } else {
        // At least 1 MiB, so that a few bytes do not make a chart of labels that all read "0".
        const double rows = static_cast<double>(height);
        top = std::max(kMiB, high > 0 ? round_up_mib(high / kMiB / rows) * kMiB * rows : 0.0);
    }
    const auto row_low = [&](std::size_t row) { return top * static_cast<double>(height - 1 - row) / static_cast<double>(height); };
    const auto row_high = [&](std::size_t row) { return top * static_cast<double>(height - row) / static_cast<double>(height); };
    std::size_t limit_row = height;  // none
    for (std::size_t row = 0; has_limit && row < height; ++row) {
        if (row_low(row) < limit_value && limit_value <= row_high(row)) limit_row = row;
    }

    // Labels: whole MiB when every label is one, else one decimal (two below 10 MiB).
    std::vector<double> label_values;
    for (std::size_t row = 0; row < height; ++row) label_values.push_back(row == limit_row ? limit_value : row_high(row));
    int decimals = 0;
    for (const double v : label_values) {
        if (std::abs(v / kMiB - std::round(v / kMiB)) > 0.005) decimals = top >= 10 * kMiB ? 1 : 2;
    }
    std::vector<std::string> labels;
    std::size_t label_width = 0;
    for (const double v : label_values) {
        labels.push_back(format_mib(v, decimals));
        label_width = std::max(label_width, labels.back().size());
    }

    std::vector<std::string> lines;
    for (std::size_t row = 0; row < height; ++row) {
        const double low = row_low(row);
        const double row_top = row_high(row);
        std::string line(label_width - labels[row].size(), ' ');
        line += labels[row] + " ┤";
        for (const double v : columns) {
            long eighths = 0;
            if (!std::isnan(v) && v >= row_top) {
                eighths = 8;
            } else if (!std::isnan(v) && v > low) {
                eighths = std::lround((v - low) / (row_top - low) * 8);
                if (eighths == 0 && row + 1 == height) eighths = 1;  // anything above zero shows
            }
            if (eighths > 0) {
                line += kBlocks[static_cast<std::size_t>(eighths - 1)];
            } else if (row == limit_row) {
                line += kDash;
            } else {
                line += ' ';
            }
        }
        if (row == limit_row) line += " memory.max";
        lines.push_back(std::move(line));
    }
    if (x_axis) {
        std::string axis(label_width + 1, ' ');
        axis += "└";
        for (std::size_t i = 0; i < columns.size(); ++i) axis += "─";
        lines.push_back(std::move(axis));
        const std::size_t used = x_axis->left.size() + x_axis->right.size();
        const std::size_t gap = columns.size() > used ? columns.size() - used : 1;
        lines.push_back(std::string(label_width + 2, ' ') + x_axis->left + std::string(gap, ' ') + x_axis->right);
    }
    return lines;
}

}  // namespace corral::supervisor::cli
