#include "supervisor/cli/postmortem_command.hpp"

#include <algorithm>
#include <array>
#include <cstdio>

#include "base/exit_codes.hpp"
#include "base/text_format.hpp"
#include "supervisor/cli/socket_path.hpp"
#include "supervisor/postmortem/bundle_format.hpp"
#include "supervisor/postmortem/bundle_json.hpp"

namespace corral::supervisor::cli {

using namespace postmortem;  // the views of the bundles
namespace fs = std::filesystem;

namespace {

void print(const std::string& text) { std::fwrite(text.data(), 1, text.size(), stdout); }

void report_problems(const std::vector<std::string>& problems) {
    for (const auto& problem : problems) std::fprintf(stderr, "corral postmortem: skipped %s\n", problem.c_str());
}

std::string peak_of_max(const BundleInfo& info) {
    if (!info.memory_peak && !info.memory_max) return "-";
    return format_size(info.memory_peak) + "/" + format_size(info.memory_max);
}

// "of api#0 " or "" for the "no post-mortems" line.
std::string target_words(const PostmortemOptions& options) {
    return options.target ? "of " + *options.target + " " : "";
}

int show(const PostmortemOptions& options, const fs::path& root) {
    std::vector<std::string> problems;
    const auto bundles = list_bundles(options.state_dir, options.target.value_or(""), &problems);
    const Resolution found = resolve_bundle(bundles, *options.show);
    if (!found.match) {
        if (!found.candidates.empty()) {
            std::fprintf(stderr, "corral postmortem: \"%s\" matches %zu post-mortems; say which:\n",
                         options.show->c_str(), found.candidates.size());
            for (const auto& id : found.candidates) std::fprintf(stderr, "  %s\n", id.c_str());
        } else {
            report_problems(problems);
            std::fprintf(stderr, "corral postmortem: no post-mortem %s\"%s\" in %s\n", target_words(options).c_str(),
                         options.show->c_str(), root.c_str());
            std::fprintf(stderr, "list their ids with: corral postmortem%s (with the same --state-dir or -c)\n",
                         options.target ? (" " + *options.target).c_str() : "");
        }
        return kExitFailed;
    }
    std::string error;
    const auto bundle = load_bundle(options.state_dir, found.match->id, &error);
    if (!bundle) {
        std::fprintf(stderr, "corral postmortem: %s\n", error.c_str());
        return kExitFailed;
    }
    for (const auto& problem : bundle->problems) {
        std::fprintf(stderr, "corral postmortem: %s: %s\n", bundle->info.id.c_str(), problem.c_str());
    }
    if (options.json) {
        print(bundle_json(*bundle).dump(2) + "\n");
    } else {
        print(render_show(*bundle, Style{options.color}));
    }
    return kExitOk;
}

}  // namespace

std::string render_list(const std::vector<BundleInfo>& bundles, const Style& style) {
    constexpr std::size_t kColumns = 6;
    using Row = std::array<std::string, kColumns>;
    const Row header = {"ID", "WHEN (UTC)", "REASON", "EXIT", "UPTIME", "PEAK/MAX"};
    std::vector<Row> rows;
    for (const auto& info : bundles) {
        rows.push_back({info.id, format_when(info), info.reason, exit_text(info),
                        info.uptime_ms ? format_duration(std::chrono::milliseconds(*info.uptime_ms)) : "-",
                        peak_of_max(info)});
    }
    std::array<std::size_t, kColumns> widths{};
    for (std::size_t c = 0; c < kColumns; ++c) {
        widths[c] = header[c].size();
        for (const auto& row : rows) widths[c] = std::max(widths[c], row[c].size());
    }
    // Pads before painting, so escape sequences never count as width; the last column is not padded.
    const auto line = [&](const Row& row, const auto& paint) {
        std::string text;
        for (std::size_t c = 0; c < kColumns; ++c) {
            const bool last = c + 1 == kColumns;
            text += paint(c, row[c]) + (last ? "" : std::string(widths[c] - row[c].size() + 2, ' '));
        }
        return text + "\n";
    };
    std::string out = line(header, [&](std::size_t, const std::string& cell) { return style.bold(cell); });
    for (std::size_t i = 0; i < rows.size(); ++i) {
        out += line(rows[i], [&](std::size_t c, const std::string& cell) {
            return c == 2 ? style.reason(bundles[i]) : cell;
        });
    }
    return out;
}

int postmortem_command(const PostmortemOptions& options) {
    if (options.target && !parse_instance_filter(*options.target)) {
        std::fprintf(stderr, "corral postmortem: \"%s\" is not a service or an instance (NAME or NAME#INDEX)\n",
                     options.target->c_str());
        return kExitUsage;
    }
    const fs::path root = options.state_dir / kDirectory;
    if (options.show) return show(options, root);

    std::vector<std::string> problems;
    const auto bundles = list_bundles(options.state_dir, options.target.value_or(""), &problems);
    report_problems(problems);
    if (options.json) {
        Json list = Json::array();
        for (const auto& info : bundles) list.push_back(info_json(info));
        print(list.dump(2) + "\n");
        return kExitOk;
    }
    if (bundles.empty()) {
        print("no post-mortems " + target_words(options) + "in " + root.string() + "\n");
        return kExitOk;
    }
    const Style style{options.color};
    print(render_list(bundles, style));
    print(style.dim("\n" + std::to_string(bundles.size()) + (bundles.size() == 1 ? " post-mortem" : " post-mortems") +
                    " in " + root.string() + "; read one with: corral postmortem --show ID") +
          "\n");
    return kExitOk;
}

std::optional<fs::path> resolve_state_dir(const std::optional<fs::path>& state_dir_flag,
                                          const std::optional<fs::path>& config_file) {
    std::error_code ec;
    if (state_dir_flag) return fs::absolute(*state_dir_flag, ec).lexically_normal();
    const cli::Lookup found = cli::find_state_dir(config_file);
    if (!found.ok()) {
        cli::print_lookup_errors(found, "give the state directory with --state-dir instead");
        return std::nullopt;
    }
    return found.path;
}

}  // namespace corral::supervisor::cli
