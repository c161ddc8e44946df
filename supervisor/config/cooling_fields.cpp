#include "supervisor/config/cooling_fields.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <string>
#include <string_view>

#include "supervisor/config/units.hpp"

namespace corral::config {
namespace {

using namespace std::chrono_literals;
using policies::CoolingMode;
using policies::CoolingParams;
using policies::CoolingTrigger;

constexpr std::string_view kCoolingKeys[] = {"trigger", "above", "for", "work", "cool", "resume_below", "mode"};
constexpr std::string_view kTriggerNames[] = {"write_rate", "ipc_rate", "memory", "pressure", "schedule"};
constexpr CoolingTrigger kTriggers[] = {CoolingTrigger::write_rate, CoolingTrigger::ipc_rate, CoolingTrigger::memory,
                                        CoolingTrigger::pressure, CoolingTrigger::schedule};
constexpr std::string_view kModeNames[] = {"hold", "freeze"};
constexpr CoolingMode kModes[] = {CoolingMode::hold, CoolingMode::freeze};

// Every duration of a cooling cycle is above zero and at most a day (deadlines stay far from overflow).
constexpr policies::Duration kShortest = 1ms;
constexpr policies::Duration kLongest = 24h;
// At memory.max the kernel reclaims or kills first; at 100% pressure nothing is ever above.
constexpr std::uint64_t kMostMemoryPercent = 99;
constexpr std::uint64_t kMostPressurePercent = 99;

constexpr std::string_view kCoolingExample = "a table such as { trigger = \"write_rate\", above = \"20MiB/s\" }";
constexpr std::string_view kByteRateType = "a string with a unit such as \"20MiB/s\"";
constexpr std::string_view kByteRateForm =
    "a whole number above 0 with a unit B, kB, KB, MB, GB, TB, K, KiB, M, MiB, G, GiB, T or TiB, then \"/s\", "
    "such as \"20MiB/s\"";
constexpr std::string_view kIpcRateForm =
    "messages such as \"2000/s\" or \"30/m\", or bytes such as \"20MiB/s\"";

// What `above` looks like for each trigger, for a missing key.
std::string_view above_example(CoolingTrigger trigger) {
    switch (trigger) {
        case CoolingTrigger::write_rate: return "a byte rate such as \"20MiB/s\"";
        case CoolingTrigger::ipc_rate: return "a message rate such as \"2000/s\" or a byte rate such as \"20MiB/s\"";
        case CoolingTrigger::memory: return "a percentage of memory.max such as \"80%\"";
        case CoolingTrigger::pressure: return "a percentage of time such as \"50%\"";
        case CoolingTrigger::schedule: break;
    }
    return "";
}

// "<N>%" from 1% to `most`% of `whole`; anything else is reported with `example`.
std::optional<std::uint64_t> read_percent(Diagnostics& diagnostics, const std::string& path, const toml::node& value,
                                          std::uint64_t most, std::string_view whole, std::string_view example) {
    const auto* text = value.as_string();
    const auto percent = text != nullptr ? parse_percent(text->get()) : std::nullopt;
    if (percent && *percent >= 1 && *percent <= most) return percent;
    diagnostics.error(value, invalid("value", path,
                                     "a whole percentage of " + std::string(whole) + " from 1% to " +
                                         std::to_string(most) + "% such as \"" + std::string(example) + "\"",
                                     value));
    return std::nullopt;
}

// The threshold in the unit of the trigger (policies/cooling.hpp). Returns false after reporting.
bool read_above(Diagnostics& diagnostics, const TableReader& cooling, const toml::node& value, CoolingParams& params) {
    const std::string path = cooling.path_of("above");
    const auto* text = value.as_string();
    switch (params.trigger) {
        case CoolingTrigger::write_rate: {
            const auto rate = text != nullptr ? parse_byte_rate(text->get()) : std::nullopt;
            if (!rate) {
                diagnostics.error(value, invalid("rate", path, text != nullptr ? kByteRateForm : kByteRateType, value));
                return false;
            }
            params.threshold = static_cast<double>(*rate);
            return true;
        }
        case CoolingTrigger::ipc_rate: {
            // "2000/s" is messages; a size unit before "/s" makes it bytes.
            if (const auto messages = text != nullptr ? parse_message_rate(text->get()) : std::nullopt) {
                params.threshold = *messages;
                params.ipc_bytes = false;
                return true;
            }
            if (const auto bytes = text != nullptr ? parse_byte_rate(text->get()) : std::nullopt) {
                params.threshold = static_cast<double>(*bytes);
                params.ipc_bytes = true;
                return true;
            }
            diagnostics.error(value, invalid("rate", path, kIpcRateForm, value));
            return false;
        }
        case CoolingTrigger::memory: {
            const auto percent = read_percent(diagnostics, path, value, kMostMemoryPercent, "memory.max", "80%");
            if (percent) params.threshold = static_cast<double>(*percent) / 100.0;
            return percent.has_value();
        }
        case CoolingTrigger::pressure: {
            const auto percent = read_percent(diagnostics, path, value, kMostPressurePercent, "time", "50%");
            if (percent) params.threshold = static_cast<double>(*percent);
            return percent.has_value();
        }
        case CoolingTrigger::schedule: break;
    }
    return false;
}

// A key that has no meaning on a timer: `invalid value for PATH: trigger "schedule" cools on a timer and
// has no threshold (expected no KEY key, got ...)`.
void report_not_for_schedule(Diagnostics& diagnostics, const TableReader& cooling, std::string_view key,
                             const toml::node& value) {
    diagnostics.error(value, "invalid value for " + cooling.path_of(key) +
                                 ": trigger \"schedule\" cools on a timer and has no threshold (expected no " +
                                 std::string(key) + " key, got " + describe(value) + ")");
}

bool memory_max_written(const TableReader& service, const ServiceSpec& spec) {
    if (spec.limits.memory.max) return true;
    const toml::node* memory = service.table().get("memory");
    const toml::table* table = memory != nullptr ? memory->as_table() : nullptr;
    return table != nullptr && table->get("max") != nullptr;
}

// What the trigger needs from the rest of the service: memory.max for memory, a channel for ipc_rate.
bool check_trigger_needs(Diagnostics& diagnostics, const TableReader& service, const TableReader& cooling,
                         const ServiceSpec& spec, const toml::node& value, CoolingTrigger trigger) {
    const std::string path = cooling.path_of("trigger");
    const std::string table = "[" + service.path() + "]";
    if (trigger == CoolingTrigger::memory && !memory_max_written(service, spec)) {
        diagnostics.error(value, "invalid value for " + path +
                                     ": \"memory\" is a share of memory.max, which is not set (expected memory.max "
                                     "in " + table + " such as memory = { max = \"512MiB\" }, got " +
                                     describe(value) + ")");
        return false;
    }
    if (trigger == CoolingTrigger::ipc_rate && spec.ipc == IpcMode::off) {
        diagnostics.error(value, "invalid value for " + path +
                                     ": \"ipc_rate\" measures the ipc channel, and the service has ipc = \"off\" "
                                     "(expected ipc = \"json\" or \"advanced\" in " + table +
                                     ", or another trigger, got " + describe(value) + ")");
        return false;
    }
    return true;
}

// `trigger`, which is required.
Field read_trigger(Diagnostics& diagnostics, TableReader& cooling, CoolingTrigger& out) {
    const Field trigger = read_choice(diagnostics, cooling, "trigger", kTriggerNames, kTriggers, out);
    if (trigger == Field::absent) {
        std::string expected = "one of ";
        for (std::size_t i = 0; i < std::size(kTriggerNames); ++i) {
            expected += (i > 0 ? ", " : "") + quote(kTriggerNames[i]);
        }
        diagnostics.error(cooling.table().source().begin, "missing required key \"trigger\" in [" + cooling.path() +
                                                              "] (expected " + expected + ")");
    }
    return trigger;
}

// above, for and resume_below are about a threshold: required (above) or allowed only when the trigger
// has one; with a wrong trigger only what can be checked without it is. Returns false after reporting.
bool read_threshold(Diagnostics& diagnostics, TableReader& cooling, Field trigger, CoolingParams& params) {
    const bool schedule = trigger == Field::valid && params.trigger == CoolingTrigger::schedule;
    bool ok = true;
    if (const toml::node* above = cooling.take("above")) {
        if (schedule) {
            report_not_for_schedule(diagnostics, cooling, "above", *above);
            ok = false;
        } else if (trigger == Field::valid && !read_above(diagnostics, cooling, *above, params)) {
            ok = false;
        }
    } else if (trigger == Field::valid && !schedule) {
        const std::string_view name = kTriggerNames[static_cast<std::size_t>(params.trigger)];
        diagnostics.error(cooling.table().source().begin,
                          "missing required key \"above\" in [" + cooling.path() + "] (expected " +
                              std::string(above_example(params.trigger)) + " for trigger " + quote(name) + ")");
        ok = false;
    }
    if (schedule) {
        for (const std::string_view key : {"for", "resume_below"}) {
            if (const toml::node* value = cooling.take(key)) {
                report_not_for_schedule(diagnostics, cooling, key, *value);
                ok = false;
            }
        }
        return ok;
    }
    if (cooling.read_duration("for", kShortest, kLongest, params.sustain) == Field::invalid) ok = false;
    if (const toml::node* value = cooling.take("resume_below")) {
        const auto percent = read_percent(diagnostics, cooling.path_of("resume_below"), *value, 100, "above", "80%");
        if (percent) params.resume_below = static_cast<double>(*percent) / 100.0;
        else ok = false;
    }
    return ok;
}

}  // namespace

void read_cooling(Diagnostics& diagnostics, TableReader& service, const ServiceSpec& spec,
                  std::optional<CoolingParams>& out) {
    const toml::table* table = service.read_table("cooling", kCoolingExample);
    if (table == nullptr) return;
    TableReader cooling(diagnostics, *table, service.path_of("cooling"), kCoolingKeys);
    CoolingParams params;

    const toml::node* trigger_value = table->get("trigger");
    const Field trigger = read_trigger(diagnostics, cooling, params.trigger);
    bool ok = trigger == Field::valid;
    if (ok) ok = check_trigger_needs(diagnostics, service, cooling, spec, *trigger_value, params.trigger);
    if (!read_threshold(diagnostics, cooling, trigger, params)) ok = false;
    if (cooling.read_duration("work", kShortest, kLongest, params.work) == Field::invalid) ok = false;
    if (cooling.read_duration("cool", kShortest, kLongest, params.cool) == Field::invalid) ok = false;
    if (read_choice(diagnostics, cooling, "mode", kModeNames, kModes, params.mode) == Field::invalid) ok = false;
    cooling.finish();
    if (ok) out = params;
}

std::string_view trigger_name(CoolingTrigger trigger) {
    for (std::size_t i = 0; i < std::size(kTriggers); ++i) {
        if (kTriggers[i] == trigger) return kTriggerNames[i];
    }
    return "?";
}

}  // namespace corral::config
