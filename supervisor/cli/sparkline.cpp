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

// The top of a chart of `height` rows: the limit (0: none) or the highest value, whichever is higher;
// without a limit, the highest value rounded up to a round number of MiB per row, and at least 1 MiB, so
// that a few bytes do not make a chart of labels that all read "0".
double chart_top(double high, double limit, std::size_t height) {
    if (limit > 0) return std::max(limit, high);
    const double rows = static_cast<double>(height);
    return std::max(kMiB, high > 0 ? round_up_mib(high / kMiB / rows) * kMiB * rows : 0.0);
}

// The rows of a chart: `height` bands of equal height from 0 to `top`, the first one on top.
struct ChartRows {
    ChartRows(std::size_t height_, double high, double limit_)
        : height(height_), limit(limit_), top(chart_top(high, limit_, height_)), limit_row(height_) {
        for (std::size_t row = 0; limit > 0 && row < height; ++row) {
            if (row_bottom(row) < limit && limit <= row_top(row)) limit_row = row;
        }
    }

    double row_bottom(std::size_t row) const {
        return top * static_cast<double>(height - 1 - row) / static_cast<double>(height);
    }
    double row_top(std::size_t row) const {
        return top * static_cast<double>(height - row) / static_cast<double>(height);
    }

    std::size_t height;
    double limit;           // 0: none
    double top;
    std::size_t limit_row;  // the row holding the limit; `height` for none
};

// Each row's label: the value a full block in it stands for, or the limit in the limit's row. Whole MiB
// when every label is one, else one decimal (two below 10 MiB).
std::vector<std::string> row_labels(const ChartRows& rows) {
    std::vector<double> values;
    for (std::size_t row = 0; row < rows.height; ++row) {
        values.push_back(row == rows.limit_row ? rows.limit : rows.row_top(row));
    }
    int decimals = 0;
    for (const double v : values) {
        if (std::abs(v / kMiB - std::round(v / kMiB)) > 0.005) decimals = rows.top >= 10 * kMiB ? 1 : 2;
    }
    std::vector<std::string> labels;
    for (const double v : values) labels.push_back(format_mib(v, decimals));
    return labels;
}

// One row of bars: each column's part in this row, in eighths; dashes where nothing reaches the limit.
std::string bars(const ChartRows& rows, std::size_t row, const std::vector<double>& columns) {
    const double bottom = rows.row_bottom(row);
    const double top = rows.row_top(row);
    std::string line;
    for (const double v : columns) {
        long eighths = 0;
        if (!std::isnan(v) && v >= top) {
            eighths = 8;
        } else if (!std::isnan(v) && v > bottom) {
            eighths = std::lround((v - bottom) / (top - bottom) * 8);
            if (eighths == 0 && row + 1 == rows.height) eighths = 1;  // anything above zero shows
        }
        if (eighths > 0) {
            line += kBlocks[static_cast<std::size_t>(eighths - 1)];
        } else if (row == rows.limit_row) {
            line += kDash;
        } else {
            line += ' ';
        }
    }
    return line;
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
    // The limit as a plain double: GCC 12 sees optional<double> as maybe uninitialized.
    const ChartRows rows(height, high, limit.value_or(0.0));
    const std::vector<std::string> labels = row_labels(rows);
    std::size_t label_width = 0;
    for (const auto& label : labels) label_width = std::max(label_width, label.size());

    std::vector<std::string> lines;
    for (std::size_t row = 0; row < height; ++row) {
        std::string line(label_width - labels[row].size(), ' ');
        line += labels[row] + " ┤" + bars(rows, row, columns);
        if (row == rows.limit_row) line += " memory.max";
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
