#pragma once
// `corral postmortem [TARGET] [--show ID] [--json] [--state-dir DIR] [-c FILE]`: reads the post-mortem
// bundles the daemon wrote (bundle_format.hpp). Without --show, a table of them, newest first; with it, one
// of them: what killed the instance and the evidence, its memory before death as a chart, the tail of its
// stderr, the kernel's "Killed process" line, and the files to open for the rest.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "supervisor/cli/postmortem_text.hpp"
#include "supervisor/postmortem/bundle_reader.hpp"

namespace corral::supervisor::cli {

struct PostmortemOptions {
    std::filesystem::path state_dir;    // resolved by the caller (resolve_state_dir)
    std::optional<std::string> target;  // NAME or NAME#INDEX
    std::optional<std::string> show;    // an id, a unique prefix of one, or the directory name alone
    bool json = false;
    bool color = false;  // the caller's decision: stdout is a terminal and NO_COLOR is not set
};

// Exit codes: 0 done (an empty list too), 1 the bundle asked for is missing or unreadable, 2 usage.
int postmortem_command(const PostmortemOptions& options);

// The state directory to read: `state_dir_flag`, else the one cli::find_state_dir() finds (from
// `config_file`, ./corral.toml or ./.corral). nullopt after printing the service file's errors to stderr
// (the caller exits 2).
std::optional<std::filesystem::path> resolve_state_dir(const std::optional<std::filesystem::path>& state_dir_flag,
                                                       const std::optional<std::filesystem::path>& config_file);

// The text views, as printed (for 100 columns).
std::string render_list(const std::vector<BundleInfo>& bundles, const Style& style);
std::string render_show(const Bundle& bundle, const Style& style);

}  // namespace corral::supervisor::cli
