#include "supervisor/postmortem/bundle_reader.hpp"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <fstream>
#include <limits>
#include <sstream>

#include "supervisor/config/service_name.hpp"
#include "supervisor/postmortem/bundle_format.hpp"

namespace corral::supervisor::postmortem {
namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

namespace {

std::optional<std::string> read_text(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) return std::nullopt;
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) return std::nullopt;
    return text.str();
}

bool all_digits(std::string_view text) {
    return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

const Json* member(const Json& object, std::string_view key) {
    if (!object.is_object()) return nullptr;
    const auto it = object.find(key);
    return it == object.end() ? nullptr : &*it;
}

std::optional<std::string> string_at(const Json& object, std::string_view key) {
    const Json* value = member(object, key);
    if (value == nullptr || !value->is_string()) return std::nullopt;
    return value->get<std::string>();
}

std::optional<std::int64_t> int_at(const Json& object, std::string_view key) {
    const Json* value = member(object, key);
    if (value == nullptr || !value->is_number_integer()) return std::nullopt;
    if (value->is_number_unsigned() && value->get<std::uint64_t>() > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
        return std::nullopt;
    }
    return value->get<std::int64_t>();
}

std::optional<std::uint64_t> size_at(const Json& object, std::string_view key) {
    const Json* value = member(object, key);
    if (value == nullptr || !value->is_number_integer()) return std::nullopt;
    if (value->is_number_unsigned()) return value->get<std::uint64_t>();
    const auto signed_value = value->get<std::int64_t>();
    return signed_value < 0 ? std::nullopt : std::optional<std::uint64_t>(signed_value);
}

// "[json.exception.parse_error.101] parse error at line 1, column 2: ..." -> "parse error at line 1, ..."
std::string json_message(const std::exception& e) {
    std::string message = e.what();
    if (message.starts_with("[json.exception.")) {
        if (const auto end = message.find("] "); end != std::string::npos) message.erase(0, end + 2);
    }
    return message;
}

// Reads <root>/<instance>/<bundle>/summary.json into an info (and the summary itself).
std::optional<BundleInfo> read_bundle(const fs::path& root, const std::string& instance, const std::string& service,
                                      unsigned index, const std::string& bundle, std::string* error,
                                      Json* summary_out = nullptr) {
    BundleInfo info;
    info.id = instance + "/" + bundle;
    info.path = root / instance / bundle;
    info.service = service;
    info.index = index;
    const auto dash = bundle.find('-');
    info.time = bundle.substr(0, dash);
    const auto text = read_text(info.path / kSummary);
    if (!text) {
        if (error) *error = info.id + ": no readable " + std::string(kSummary);
        return std::nullopt;
    }
    Json summary;
    try {
        summary = Json::parse(*text);
    } catch (const std::exception& e) {
        if (error) *error = info.id + ": " + std::string(kSummary) + ": " + json_message(e);
        return std::nullopt;
    }
    if (!summary.is_object()) {
        if (error) *error = info.id + ": " + std::string(kSummary) + ": not a JSON object";
        return std::nullopt;
    }
    info.reason = string_at(summary, "reason").value_or(dash == std::string::npos ? "" : bundle.substr(dash + 1));
    info.ended_at = string_at(summary, "ended_at").value_or("");
    info.uptime_ms = int_at(summary, "uptime_ms");
    if (const Json* exit = member(summary, "exit")) {
        info.exit_code = int_at(*exit, "code");
        info.exit_signal = string_at(*exit, "signal");
    }
    if (const Json* memory = member(summary, "memory")) {
        info.memory_peak = size_at(*memory, "peak");
        info.memory_max = size_at(*memory, "max");
    }
    if (!info.memory_max) {
        if (const Json* limits = member(summary, "limits")) info.memory_max = size_at(*limits, "memory_max");
    }
    if (summary_out) *summary_out = std::move(summary);
    return info;
}

bool matches(const InstanceFilter& filter, const std::string& service, unsigned index) {
    if (filter.service.empty()) return true;
    return service == filter.service && (!filter.index || *filter.index == index);
}

std::string bundle_directory_name(const BundleInfo& info) { return info.id.substr(info.id.find('/') + 1); }

// The cells of one line of memory.csv, without the blanks around them.
std::vector<std::string_view> split_csv_line(std::string_view line) {
    std::vector<std::string_view> cells;
    for (std::size_t start = 0;;) {
        const auto comma = line.find(',', start);
        std::string_view cell = line.substr(start, comma == std::string_view::npos ? comma : comma - start);
        while (!cell.empty() && (cell.front() == ' ' || cell.front() == '\t')) cell.remove_prefix(1);
        while (!cell.empty() && (cell.back() == ' ' || cell.back() == '\t' || cell.back() == '\r')) {
            cell.remove_suffix(1);
        }
        cells.push_back(cell);
        if (comma == std::string_view::npos) return cells;
        start = comma + 1;
    }
}

// A first line of names, not numbers.
bool is_header(const std::vector<std::string_view>& cells) {
    double number = 0;
    const bool numeric =
        std::from_chars(cells[0].data(), cells[0].data() + cells[0].size(), number).ec == std::errc{};
    return !numeric && !cells[0].empty();
}

// Which column of memory.csv fills which field of a sample, as a header names them.
class MemoryCsvColumns {
public:
    explicit MemoryCsvColumns(std::string_view header) {
        const auto names = split_csv_line(header);
        for (std::size_t i = 0; i < names.size(); ++i) {
            Field field = nullptr;
            for (const auto& [name, target] : kFields) {
                if (names[i] == name) field = target;
            }
            if (names[i] == "time_ms") time_column_ = i;
            columns_.push_back(field);
        }
    }

    // The sample of one row; nullopt without a time or with a cell that is not a number.
    std::optional<MemorySample> read(const std::vector<std::string_view>& cells) const {
        MemorySample sample;
        if (time_column_ >= cells.size()) return std::nullopt;
        const std::string_view time = cells[time_column_];
        if (time.empty() ||
            std::from_chars(time.data(), time.data() + time.size(), sample.time_ms).ptr != time.data() + time.size()) {
            return std::nullopt;
        }
        for (std::size_t i = 0; i < cells.size() && i < columns_.size(); ++i) {
            if (columns_[i] == nullptr || cells[i].empty()) continue;
            double value = 0;
            const auto [end, ec] = std::from_chars(cells[i].data(), cells[i].data() + cells[i].size(), value);
            if (ec != std::errc{} || end != cells[i].data() + cells[i].size()) return std::nullopt;
            sample.*columns_[i] = value;
        }
        return sample;
    }

private:
    using Field = std::optional<double> MemorySample::*;
    static constexpr std::pair<std::string_view, Field> kFields[] = {
        {"current", &MemorySample::current},
        {"anon", &MemorySample::anon},
        {"file", &MemorySample::file},
        {"dirty", &MemorySample::dirty},
        {"writeback", &MemorySample::writeback},
        {"refaults_per_s", &MemorySample::refaults_per_s},
        {"psi_some_avg10", &MemorySample::psi_some_avg10},
        {"psi_full_avg10", &MemorySample::psi_full_avg10},
        {"write_bytes_per_s", &MemorySample::write_bytes_per_s},
    };

    std::vector<Field> columns_;          // column number -> the field it fills (nullptr: none)
    std::size_t time_column_ = SIZE_MAX;  // no time column: no row is readable
};

}  // namespace

std::optional<InstanceFilter> parse_instance_filter(std::string_view text) {
    if (text.empty()) return InstanceFilter{};
    InstanceFilter filter;
    const auto hash = text.find('#');
    filter.service = std::string(text.substr(0, hash));
    if (config::service_name_problem(filter.service)) return std::nullopt;
    if (hash != std::string_view::npos) {
        const std::string_view digits = text.substr(hash + 1);
        if (!all_digits(digits) || digits.size() > 9) return std::nullopt;
        filter.index = static_cast<unsigned>(std::stoul(std::string(digits)));
    }
    return filter;
}

std::optional<std::pair<std::string, unsigned>> split_instance_directory(std::string_view name) {
    const auto dash = name.rfind('-');
    if (dash == std::string_view::npos || dash == 0) return std::nullopt;
    const std::string_view digits = name.substr(dash + 1);
    if (!all_digits(digits) || digits.size() > 9) return std::nullopt;
    return std::pair{std::string(name.substr(0, dash)), static_cast<unsigned>(std::stoul(std::string(digits)))};
}

std::vector<BundleInfo> list_bundles(const fs::path& state_dir, std::string_view instance_filter,
                                     std::vector<std::string>* problems) {
    const auto note = [&](std::string line) {
        if (problems) problems->push_back(std::move(line));
    };
    const auto filter = parse_instance_filter(instance_filter);
    const fs::path root = state_dir / kDirectory;
    std::error_code ec;
    if (!filter || !fs::exists(root, ec)) return {};

    std::vector<BundleInfo> bundles;
    fs::directory_iterator instances(root, ec);
    if (ec) note(root.string() + ": " + ec.message());
    for (const fs::directory_iterator end{}; !ec && instances != end; instances.increment(ec)) {
        std::error_code type_ec;  // an entry that cannot be examined is skipped, the listing goes on
        if (!instances->is_directory(type_ec)) continue;
        const std::string instance = instances->path().filename().string();
        const auto parsed = split_instance_directory(instance);
        if (!parsed) {
            note(instance + ": not an instance directory (<service>-<index>)");
            continue;
        }
        if (!matches(*filter, parsed->first, parsed->second)) continue;
        std::error_code inner;
        fs::directory_iterator entries(instances->path(), inner);
        if (inner) note(instances->path().string() + ": " + inner.message());
        for (; !inner && entries != end; entries.increment(inner)) {
            const std::string bundle = entries->path().filename().string();
            if (!entries->is_directory(type_ec) || bundle.ends_with(kTempSuffix)) continue;
            std::string error;
            if (auto info = read_bundle(root, instance, parsed->first, parsed->second, bundle, &error)) {
                bundles.push_back(std::move(*info));
            } else {
                note(error);
            }
        }
    }
    std::sort(bundles.begin(), bundles.end(), [](const BundleInfo& a, const BundleInfo& b) {
        return a.time != b.time ? a.time > b.time : a.id < b.id;
    });
    return bundles;
}

Resolution resolve_bundle(const std::vector<BundleInfo>& bundles, std::string_view query) {
    std::string text(query);
    while (!text.empty() && text.back() == '/') text.pop_back();
    const std::string marker = std::string(kDirectory) + "/";
    if (const auto at = text.rfind(marker); at != std::string::npos) text.erase(0, at + marker.size());
    Resolution resolution;
    if (text.empty()) return resolution;

    using Rule = bool (*)(const BundleInfo&, const std::string&);
    const Rule rules[] = {
        [](const BundleInfo& b, const std::string& q) { return b.id == q; },
        [](const BundleInfo& b, const std::string& q) { return bundle_directory_name(b) == q; },
        [](const BundleInfo& b, const std::string& q) {
            return b.id.starts_with(q) || bundle_directory_name(b).starts_with(q);
        },
    };
    for (const Rule rule : rules) {
        std::vector<const BundleInfo*> found;
        for (const auto& bundle : bundles) {
            if (rule(bundle, text)) found.push_back(&bundle);
        }
        if (found.size() == 1) resolution.match = *found.front();
        if (found.size() > 1) {
            for (const auto* bundle : found) resolution.candidates.push_back(bundle->id);
        }
        if (!found.empty()) break;
    }
    return resolution;
}

std::vector<MemorySample> parse_memory_csv(std::string_view text, std::vector<std::string>* problems) {
    MemoryCsvColumns columns(kMemoryCsvHeader);
    std::vector<MemorySample> samples;
    std::size_t bad_rows = 0;
    std::size_t first_bad_line = 0;
    std::size_t line_number = 0;
    for (std::size_t start = 0; start < text.size();) {
        const auto newline = text.find('\n', start);
        const std::string_view line = text.substr(start, newline == std::string_view::npos ? newline : newline - start);
        start = newline == std::string_view::npos ? text.size() : newline + 1;
        ++line_number;
        const auto cells = split_csv_line(line);
        if (cells.size() == 1 && cells[0].empty()) continue;
        if (line_number == 1 && is_header(cells)) {
            columns = MemoryCsvColumns(line);
            continue;
        }
        if (auto sample = columns.read(cells)) {
            samples.push_back(*sample);
        } else if (bad_rows++ == 0) {
            first_bad_line = line_number;
        }
    }
    if (bad_rows > 0 && problems) {
        problems->push_back(std::string(kMemoryCsv) + ": skipped " + std::to_string(bad_rows) +
                            " unreadable row(s), the first on line " + std::to_string(first_bad_line));
    }
    return samples;
}

std::optional<Bundle> load_bundle(const fs::path& state_dir, std::string_view id, std::string* error) {
    const auto fail = [&](std::string message) -> std::optional<Bundle> {
        if (error) *error = std::move(message);
        return std::nullopt;
    };
    const auto slash = id.find('/');
    if (slash == std::string_view::npos || id.find('/', slash + 1) != std::string_view::npos) {
        return fail("\"" + std::string(id) + "\" is not a post-mortem id (<service>-<index>/<time>-<reason>)");
    }
    const std::string instance(id.substr(0, slash));
    const std::string bundle_name(id.substr(slash + 1));
    const auto parsed = split_instance_directory(instance);
    if (!parsed || bundle_name.empty() || bundle_name == "." || bundle_name == "..") {
        return fail("\"" + std::string(id) + "\" is not a post-mortem id (<service>-<index>/<time>-<reason>)");
    }
    const fs::path root = state_dir / kDirectory;
    std::error_code ec;
    if (bundle_name.ends_with(kTempSuffix) || !fs::is_directory(root / instance / bundle_name, ec)) {
        return fail("no post-mortem " + std::string(id) + " in " + root.string());
    }
    Bundle bundle;
    std::string problem;
    auto info = read_bundle(root, instance, parsed->first, parsed->second, bundle_name, &problem, &bundle.summary);
    if (!info) return fail(problem);
    bundle.info = std::move(*info);

    if (const auto csv = read_text(bundle.info.path / kMemoryCsv)) {
        bundle.samples = parse_memory_csv(*csv, &bundle.problems);
    }
    for (fs::directory_iterator it(bundle.info.path, ec), end; !ec && it != end; it.increment(ec)) {
        std::error_code file_ec;
        if (!it->is_regular_file(file_ec)) continue;
        const auto size = it->file_size(file_ec);
        bundle.files.push_back({it->path().filename().string(), file_ec ? 0 : size});
    }
    std::sort(bundle.files.begin(), bundle.files.end(),
              [](const BundleFile& a, const BundleFile& b) { return a.name < b.name; });
    bundle.stack = read_javascript_stack(bundle.info.path);
    return bundle;
}

}  // namespace corral::supervisor::postmortem
