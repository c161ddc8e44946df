#include "supervisor/postmortem/bundle_json.hpp"

#include <cmath>
#include <cstdint>

namespace corral::supervisor::postmortem {
namespace {

template <typename T>
Json or_null(const std::optional<T>& value) {
    return value ? Json(*value) : Json(nullptr);
}

// Sizes and counts stay integers in JSON ("268435456", not "268435456.0").
Json or_null(const std::optional<double>& value) {
    if (!value) return nullptr;
    if (std::trunc(*value) == *value && std::abs(*value) < 9.0e15) return static_cast<std::int64_t>(*value);
    return *value;
}

}  // namespace

Json info_json(const BundleInfo& info) {
    return Json{
        {"id", info.id},
        {"path", info.path.string()},
        {"service", info.service},
        {"index", info.index},
        {"reason", info.reason},
        {"ended_at", info.ended_at.empty() ? Json(nullptr) : Json(info.ended_at)},
        {"uptime_ms", or_null(info.uptime_ms)},
        {"exit", Json{{"code", or_null(info.exit_code)}, {"signal", or_null(info.exit_signal)}}},
        {"memory", Json{{"peak", or_null(info.memory_peak)}, {"max", or_null(info.memory_max)}}},
    };
}

Json bundle_json(const Bundle& bundle) {
    Json json = bundle.summary;
    json["path"] = bundle.info.path.string();
    Json samples = Json::array();
    for (const auto& s : bundle.samples) {
        samples.push_back(Json{
            {"time_ms", s.time_ms},
            {"current", or_null(s.current)},
            {"anon", or_null(s.anon)},
            {"file", or_null(s.file)},
            {"dirty", or_null(s.dirty)},
            {"writeback", or_null(s.writeback)},
            {"refaults_per_s", or_null(s.refaults_per_s)},
            {"psi_some_avg10", or_null(s.psi_some_avg10)},
            {"psi_full_avg10", or_null(s.psi_full_avg10)},
            {"write_bytes_per_s", or_null(s.write_bytes_per_s)},
        });
    }
    json["samples"] = std::move(samples);
    Json files = Json::array();
    for (const auto& file : bundle.files) files.push_back(Json{{"name", file.name}, {"size", file.size}});
    json["files"] = std::move(files);
    json["javascript_stack"] = stack_json(bundle.stack);
    return json;
}

}  // namespace corral::supervisor::postmortem
