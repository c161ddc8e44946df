#include "supervisor/config/throttle_fields.hpp"

#include <chrono>
#include <cstdint>
#include <string>

#include "supervisor/config/units.hpp"

namespace corral::config {
namespace {

using namespace std::chrono_literals;

constexpr std::string_view kThrottleKeys[] = {"above", "for", "cpu"};
constexpr std::string_view kThrottleExample = "true, false or a table such as { above = \"2MiB\", cpu = \"10%\" }";
constexpr std::uint64_t kLeastAbove = 64u << 10;
constexpr std::uint64_t kMostAbove = 1u << 30;
constexpr std::uint64_t kMostCpuPercent = 100'000;  // 1000 CPUs

}  // namespace

void read_throttle(Diagnostics& diagnostics, TableReader& service, std::optional<policies::SenderThrottleParams>& out) {
    const toml::node* value = service.take("throttle");
    if (value == nullptr) return;
    const std::string path = service.path_of("throttle");
    if (const auto* on = value->as_boolean()) {
        if (on->get()) {
            out = policies::SenderThrottleParams{};
        } else {
            out.reset();
        }
        return;
    }
    const auto* table = value->as_table();
    if (table == nullptr) {
        diagnostics.error(*value, invalid("value", path, kThrottleExample, *value));
        return;
    }
    TableReader reader(diagnostics, *table, path, kThrottleKeys);
    policies::SenderThrottleParams params;
    bool ok = true;
    std::uint64_t above = params.above;
    if (reader.read_size("above", kLeastAbove, kMostAbove, above) == Field::invalid) ok = false;
    params.above = static_cast<std::size_t>(above);
    if (reader.read_duration("for", 1ms, 1min, params.for_) == Field::invalid) ok = false;
    if (const toml::node* cpu = reader.take("cpu")) {
        const auto* text = cpu->as_string();
        const auto percent = text != nullptr ? parse_percent(text->get()) : std::nullopt;
        if (percent && *percent >= 1 && *percent <= kMostCpuPercent) {
            params.cpu_percent = static_cast<unsigned>(*percent);
        } else {
            diagnostics.error(*cpu, invalid("value", reader.path_of("cpu"),
                                            "a whole percentage of one CPU from 1% such as \"10%\"", *cpu));
            ok = false;
        }
    }
    reader.finish();
    if (ok) out = params;
}

}  // namespace corral::config
