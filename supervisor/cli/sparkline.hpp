#pragma once
// Pictures of a series for a terminal, drawn with the eight block characters ▁▂▃▄▅▆▇█ (UTF-8):
//   sparkline  one row:  "▁▁▂▃▅▇█"
//   chart      several rows with a y axis in MiB and a dashed line at a limit (memory.max):
//
//       256 ┤╌╌╌╌╌╌╌╌╌╌╌╌╌╌▂▆█ memory.max
//       192 ┤        ▁▃▅▇█████
//       128 ┤   ▂▄▆███████████
//        64 ┤▅████████████████
//           └─────────────────
//            -5m00s         0s
//
// Pure functions of their arguments. NaN stands for "no value" (an empty cell of memory.csv): its column
// stays blank. A series longer than the width is resampled: each column shows the maximum of a bucket of
// consecutive values, so a spike never disappears. A shorter series is not stretched (one value a column).
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace corral::supervisor::cli {

// The maximum of each of min(size, width) buckets of consecutive values (NaN for a bucket without any).
std::vector<double> resample_max(const std::vector<double>& values, std::size_t width);

// One block per column, heights scaled from 0 (or the lowest value, when negative) to the highest value,
// or to `top` when that is higher (e.g. 100 for percentages). A series of zeros is all "▁".
// "" for no values or width 0.
std::string sparkline(const std::vector<double>& values, std::size_t width, std::optional<double> top = {});

// Labels under the first and the last column of a chart ("-5m00s", "0s").
struct ChartAxis {
    std::string left;
    std::string right;
};

// `values` in bytes; `height` rows of 8 levels each, from 0 to the limit or the highest value, whichever
// is higher (without a limit: the highest value rounded up to a round number of MiB per row). Each row is
// labelled in MiB with the value a full block in it stands for; the row holding the limit is labelled
// with the limit, has dashes where no bar reaches it, and ends in " memory.max". With `x_axis`, two more
// lines: the axis and its labels. {"no samples"} when there are no values.
std::vector<std::string> chart(const std::vector<double>& values, std::size_t width, std::size_t height,
                               std::optional<double> limit, const std::optional<ChartAxis>& x_axis = {});

// Columns a terminal shows for UTF-8 text without control sequences (code points; all of ours are narrow).
std::size_t display_width(const std::string& text);

}  // namespace corral::supervisor::cli
