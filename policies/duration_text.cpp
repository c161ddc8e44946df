#include "policies/duration_text.hpp"

#include <cstdio>

namespace corral::policies {

std::string format_duration(Duration d) {
    const long long ms = d.count();
    char text[48];
    if (ms < 1000) {
        std::snprintf(text, sizeof text, "%lldms", ms);
    } else if (ms < 60'000) {
        std::snprintf(text, sizeof text, "%.1fs", static_cast<double>(ms) / 1000.0);
    } else if (ms < 3'600'000) {
        std::snprintf(text, sizeof text, "%lldm%02llds", ms / 60'000, ms % 60'000 / 1000);
    } else if (ms < 86'400'000) {
        std::snprintf(text, sizeof text, "%lldh%02lldm", ms / 3'600'000, ms % 3'600'000 / 60'000);
    } else {
        std::snprintf(text, sizeof text, "%lldd%02lldh", ms / 86'400'000, ms % 86'400'000 / 3'600'000);
    }
    return text;
}

}  // namespace corral::policies
