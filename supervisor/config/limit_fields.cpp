#include "supervisor/config/limit_fields.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "supervisor/config/units.hpp"

namespace corral::config {
namespace {

constexpr std::string_view kMemoryKeys[] = {"max", "high", "swap_max"};
constexpr std::string_view kPidsKeys[] = {"max"};
constexpr std::string_view kCpuKeys[] = {"weight", "max"};

// Node's heap alone needs more than this: a smaller memory limit is a typo ("4M" meant "4G").
constexpr std::uint64_t kMinMemory = 4ull << 20;
// Far beyond any machine, and max + swap_max (the v1 memsw limit) still fits in 64 bits.
constexpr std::uint64_t kMaxMemory = 1ull << 62;
constexpr std::int64_t kMaxPids = 4'194'304;  // the kernel's PID_MAX_LIMIT
constexpr std::int64_t kMaxCpuWeight = 10'000;
constexpr std::uint64_t kMaxCpuPercent = 100'000;  // a thousand CPUs

constexpr std::string_view kCpuMaxForm = "a percentage of one CPU such as \"50%\" or \"200%\"";

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

void read_memory(Diagnostics& diagnostics, TableReader& service, supervisor::cgroup::MemoryLimits& limits) {
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
                                         "at most the memory.max of " + size_text(*limits.max), value));
        limits.high.reset();
    }
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

void read_limits(Diagnostics& diagnostics, TableReader& service, supervisor::cgroup::Limits& limits) {
    read_memory(diagnostics, service, limits.memory);
    read_pids(diagnostics, service, limits.pids);
    read_cpu(diagnostics, service, limits.cpu);
}

}  // namespace corral::config
