#include "supervisor/config/limit_fields.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/text_format.hpp"
#include "supervisor/config/units.hpp"

namespace corral::config {
namespace {

constexpr std::string_view kMemoryKeys[] = {"max", "high", "swap_max", "restart_at", "snapshot_at", "thrashing"};
constexpr std::string_view kThrashingKeys[] = {"pressure", "for"};
constexpr std::string_view kPidsKeys[] = {"max"};
constexpr std::string_view kCpuKeys[] = {"weight", "max"};

// Node's heap alone needs more than this: a smaller memory limit is a typo ("4M" meant "4G").
constexpr std::uint64_t kMinMemory = 4ull << 20;
// Far beyond any machine, and max + swap_max (the v1 memsw limit) still fits in 64 bits.
constexpr std::uint64_t kMaxMemory = 1ull << 62;
constexpr std::int64_t kMaxPids = 4'194'304;  // the kernel's PID_MAX_LIMIT
constexpr std::int64_t kMaxCpuWeight = 10'000;
constexpr std::uint64_t kMaxCpuPercent = 100'000;  // a thousand CPUs

// A threshold in percent is a share of memory.max below 100%: at memory.max the kernel acts first.
constexpr std::uint64_t kMaxThresholdPercent = 99;
// thrashing.for: how long memory pressure must stay above thrashing.pressure before the instance is killed.
constexpr policies::Duration kShortestThrashWindow{2'000};
constexpr policies::Duration kLongestThrashWindow{3'600'000};

constexpr std::string_view kCpuMaxForm = "a percentage of one CPU such as \"50%\" or \"200%\"";
constexpr std::string_view kThresholdType =
    "a size such as \"450MiB\" or a percentage of memory.max such as \"90%\"";
constexpr std::string_view kThresholdForm =
    "a whole number with a unit B, kB, KB, MB, GB, TB, K, KiB, M, MiB, G, GiB, T or TiB, such as \"450MiB\", "
    "or a percentage of memory.max such as \"90%\"";
constexpr std::string_view kThrashingForm = "true, false or a table such as { pressure = \"50%\", for = \"10s\" }";
constexpr std::string_view kPressureForm = "a percentage of time from 1% to 100% such as \"50%\"";

template <typename T>
void read_optional_integer(TableReader& reader, std::string_view key, std::int64_t min, std::int64_t max,
                           std::optional<T>& out) {
    std::int64_t value = 0;
    if (reader.read_integer(key, min, max, value) == Field::valid) out = static_cast<T>(value);
}

Field read_optional_size(TableReader& reader, std::string_view key, std::uint64_t min,
                         std::optional<std::uint64_t>& out) {
    std::uint64_t bytes = 0;
    const Field field = reader.read_size(key, min, kMaxMemory, bytes);
    if (field == Field::valid) out = bytes;
    return field;
}

// restart_at or snapshot_at: a size like memory.max, below memory.max when that is set, or "<N>%" of
// memory.max, which then must be set. `max` is how memory.max itself was read; when it was wrong, only
// the form of the threshold is checked.
void read_threshold(Diagnostics& diagnostics, TableReader& memory, std::string_view key, Field max,
                    const std::optional<std::uint64_t>& max_bytes, std::optional<policies::MemoryThreshold>& out) {
    const toml::node* value = memory.take(key);
    if (value == nullptr) return;
    const std::string path = memory.path_of(key);
    const auto* text = value->as_string();
    const auto* integer = value->as_integer();
    if (text == nullptr && integer == nullptr) {
        diagnostics.error(*value, invalid("value", path, kThresholdType, *value));
        return;
    }
    if (text != nullptr && !text->get().empty() && text->get().back() == '%') {
        if (max == Field::absent) {
            diagnostics.error(*value, "invalid value for " + path +
                                          ": a percentage is a share of memory.max, which is not set "
                                          "(expected a size such as \"450MiB\", got " + describe(*value) + ")");
            return;
        }
        const auto percent = parse_percent(text->get());
        if (!percent || *percent < 1 || *percent > kMaxThresholdPercent) {
            diagnostics.error(*value, invalid("value", path,
                                              "a whole percentage of memory.max from 1% to " +
                                                  std::to_string(kMaxThresholdPercent) + "%",
                                              *value));
            return;
        }
        policies::MemoryThreshold threshold;
        threshold.percent_of_max = static_cast<unsigned>(*percent);
        out = threshold;
        return;
    }
    std::optional<std::uint64_t> bytes;
    if (text != nullptr) {
        bytes = parse_size(text->get());
        if (!bytes) {
            diagnostics.error(*value, invalid("value", path, kThresholdForm, *value));
            return;
        }
    } else if (integer->get() >= 0) {
        bytes = static_cast<std::uint64_t>(integer->get());
    }
    if (!bytes || *bytes < kMinMemory || *bytes > kMaxMemory) {
        diagnostics.error(*value, invalid("value", path,
                                          "a size of at least " + size_as_written(kMinMemory) + " and at most " +
                                              size_as_written(kMaxMemory) + ", or a percentage of memory.max such as \"90%\"",
                                          *value));
        return;
    }
    if (max == Field::valid && *bytes >= *max_bytes) {
        diagnostics.error(*value, invalid("value", path, "less than the memory.max of " + size_as_written(*max_bytes),
                                          *value));
        return;
    }
    policies::MemoryThreshold threshold;
    threshold.bytes = *bytes;
    out = threshold;
}

// The PSI "full" percentage of a thrashing table: "<N>%" with N from 1 to 100.
void read_pressure(Diagnostics& diagnostics, TableReader& thrashing, policies::ThrashParams& params) {
    const toml::node* value = thrashing.take("pressure");
    if (value == nullptr) return;
    const auto* text = value->as_string();
    const auto percent = text != nullptr ? parse_percent(text->get()) : std::nullopt;
    if (!percent || *percent < 1 || *percent > 100) {
        diagnostics.error(*value, invalid("value", thrashing.path_of("pressure"), kPressureForm, *value));
        return;
    }
    params.full_percent = static_cast<unsigned>(*percent);
}

// true (the defaults), false (off) or { pressure = "50%", for = "10s" }; any of them marks the watch as
// asked for in the file.
void read_thrashing(Diagnostics& diagnostics, TableReader& memory, policies::ThrashParams& params) {
    const toml::node* value = memory.take("thrashing");
    if (value == nullptr) return;
    if (const auto* boolean = value->as_boolean()) {
        params.enabled = boolean->get();
        params.configured = true;
        return;
    }
    const auto* table = value->as_table();
    if (table == nullptr) {
        diagnostics.error(*value, invalid("value", memory.path_of("thrashing"), kThrashingForm, *value));
        return;
    }
    params.configured = true;
    TableReader thrashing(diagnostics, *table, memory.path_of("thrashing"), kThrashingKeys);
    read_pressure(diagnostics, thrashing, params);
    thrashing.read_duration("for", kShortestThrashWindow, kLongestThrashWindow, params.window);
    thrashing.finish();
}

void read_memory(Diagnostics& diagnostics, TableReader& service, supervisor::cgroup::MemoryLimits& limits,
                 policies::MemoryWatch& watch) {
    const toml::table* table = service.read_table(
        "memory", "a table such as { max = \"512MiB\", high = \"400MiB\", swap_max = \"0\" }");
    if (table == nullptr) return;
    TableReader memory(diagnostics, *table, service.path_of("memory"), kMemoryKeys);
    const Field max = read_optional_size(memory, "max", kMinMemory, limits.max);
    const Field high = read_optional_size(memory, "high", kMinMemory, limits.high);
    read_optional_size(memory, "swap_max", 0, limits.swap_max);
    if (max == Field::valid && high == Field::valid && *limits.high > *limits.max) {
        const toml::node& value = *table->get("high");
        diagnostics.error(value, invalid("size", memory.path_of("high"),
                                         "at most the memory.max of " + size_as_written(*limits.max), value));
        limits.high.reset();
    }
    read_threshold(diagnostics, memory, "restart_at", max, limits.max, watch.restart_at);
    read_threshold(diagnostics, memory, "snapshot_at", max, limits.max, watch.snapshot_at);
    read_thrashing(diagnostics, memory, watch.thrashing);
    memory.finish();
}

void read_pids(Diagnostics& diagnostics, TableReader& service, supervisor::cgroup::PidsLimits& limits) {
    const toml::table* table = service.read_table("pids", "a table such as { max = 512 }");
    if (table == nullptr) return;
    TableReader pids(diagnostics, *table, service.path_of("pids"), kPidsKeys);
    read_optional_integer(pids, "max", 1, kMaxPids, limits.max);
    pids.finish();
}

// A string "<N>%": N percent of one CPU, so "150%" is one and a half CPUs.
void read_cpu_max(Diagnostics& diagnostics, TableReader& cpu, supervisor::cgroup::CpuLimits& limits) {
    const toml::node* value = cpu.take("max");
    if (value == nullptr) return;
    const auto* text = value->as_string();
    const auto percent = text != nullptr ? parse_percent(text->get()) : std::nullopt;
    if (!percent) {
        diagnostics.error(*value, invalid("value", cpu.path_of("max"), kCpuMaxForm, *value));
    } else if (*percent < 1 || *percent > kMaxCpuPercent) {
        diagnostics.error(*value, invalid("value", cpu.path_of("max"),
                                          "a percentage of one CPU from 1% to " + std::to_string(kMaxCpuPercent) + "%",
                                          *value));
    } else {
        limits.max_percent = static_cast<unsigned>(*percent);
    }
}

void read_cpu(Diagnostics& diagnostics, TableReader& service, supervisor::cgroup::CpuLimits& limits) {
    const toml::table* table = service.read_table("cpu", "a table such as { weight = 100, max = \"150%\" }");
    if (table == nullptr) return;
    TableReader cpu(diagnostics, *table, service.path_of("cpu"), kCpuKeys);
    read_optional_integer(cpu, "weight", 1, kMaxCpuWeight, limits.weight);
    read_cpu_max(diagnostics, cpu, limits);
    cpu.finish();
}

}  // namespace

void read_limits(Diagnostics& diagnostics, TableReader& service, supervisor::cgroup::Limits& limits,
                 policies::MemoryWatch& watch) {
    read_memory(diagnostics, service, limits.memory, watch);
    read_pids(diagnostics, service, limits.pids);
    read_cpu(diagnostics, service, limits.cpu);
}

}  // namespace corral::config
