#pragma once
// Reading post-mortem bundles (bundle_format.hpp) back: listing them, finding one from what a person
// typed, loading one with its memory samples. A bundle that cannot be read is skipped with a note, never
// a crash: the daemon may have been killed in the middle of anything.
#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "supervisor/postmortem/javascript_stack.hpp"

namespace corral::supervisor::postmortem {

struct BundleInfo {
    std::string id;                 // "api-0/20261125T131500.123Z-oom-kill", relative to <state_dir>/postmortem
    std::filesystem::path path;     // the bundle directory
    std::string service;            // from the instance directory "<service>-<index>"
    unsigned index = 0;
    std::string time;               // "20261125T131500.123Z": the bundle directory's time prefix
    std::string reason;             // summary.json's, else the directory name's
    std::string ended_at;           // "2026-11-25T13:15:00.123Z" as written; "" when missing
    std::optional<std::int64_t> uptime_ms;
    std::optional<std::int64_t> exit_code;
    std::optional<std::string> exit_signal;  // "SIGKILL"
    std::optional<std::uint64_t> memory_peak;
    std::optional<std::uint64_t> memory_max;
};

// "api" (every instance of api), "api#0" (one instance) or "" (everything). nullopt when malformed.
struct InstanceFilter {
    std::string service;
    std::optional<unsigned> index;
};
std::optional<InstanceFilter> parse_instance_filter(std::string_view text);

// "my-api-0" -> {"my-api", 0}: the index is the digits after the last '-'. nullopt when there are none.
std::optional<std::pair<std::string, unsigned>> split_instance_directory(std::string_view name);

// Every whole bundle of <state_dir>/postmortem matching the filter, newest first (ties by id). Skipped:
// "*.tmp" directories (being written), and, with a line in `problems`, bundles whose summary.json is
// missing or not a JSON object, and instance directories not named "<service>-<index>". A missing
// postmortem directory is no problem: there are no bundles. A malformed filter matches nothing.
std::vector<BundleInfo> list_bundles(const std::filesystem::path& state_dir, std::string_view instance_filter,
                                     std::vector<std::string>* problems = nullptr);

// What a person may type for a bundle: its id, the bundle directory name without the instance part
// ("20261125T131500.123Z-oom-kill"), a unique prefix of either, or a path ending in "postmortem/<id>".
// Exactly one match: `match`; several: `candidates` (their ids); none: both empty.
struct Resolution {
    std::optional<BundleInfo> match;
    std::vector<std::string> candidates;
};
Resolution resolve_bundle(const std::vector<BundleInfo>& bundles, std::string_view query);

// One row of memory.csv (kMemoryCsvHeader); an empty cell is nullopt.
struct MemorySample {
    std::int64_t time_ms = 0;
    std::optional<double> current, anon, file, dirty, writeback, refaults_per_s, psi_some_avg10, psi_full_avg10,
        write_bytes_per_s;
};

// memory.csv -> samples in file order. Columns are found by the header's names (in any order; unknown ones
// ignored; a file whose first line is numbers is read in kMemoryCsvHeader's order). Empty and missing
// cells are nullopt. Rows without a time or with a cell that is not a number are skipped, and counted in
// one line of `problems`.
std::vector<MemorySample> parse_memory_csv(std::string_view text, std::vector<std::string>* problems = nullptr);

struct BundleFile {
    std::string name;
    std::uintmax_t size = 0;
};

struct Bundle {
    BundleInfo info;
    nlohmann::ordered_json summary;     // summary.json as written, keys in file order
    std::vector<MemorySample> samples;  // oldest first; none when memory.csv is missing
    std::vector<BundleFile> files;      // every regular file in the bundle directory, by name
    std::optional<JavascriptStack> stack;  // the JavaScript stack it holds (hung, a Node fatal-error report)
    std::vector<std::string> problems;  // what could not be read (rows of memory.csv, ...)
};

// Loads the bundle `id` (exactly as listed). nullopt, with the reason in `error`, when it is not a whole
// bundle with a readable summary.json.
std::optional<Bundle> load_bundle(const std::filesystem::path& state_dir, std::string_view id,
                                  std::string* error = nullptr);

}  // namespace corral::supervisor::postmortem
