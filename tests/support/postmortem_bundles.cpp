#include "tests/support/postmortem_bundles.hpp"

#include <algorithm>

#include "tests/support/temp_dir.hpp"

namespace corral::test {

namespace fs = std::filesystem;

std::vector<fs::path> bundles(const fs::path& state, const std::string& instance) {
    std::vector<fs::path> found;
    const fs::path dir = state / "postmortem" / instance;
    if (!fs::exists(dir)) return found;
    for (const auto& entry : fs::directory_iterator(dir)) {
        if (entry.is_directory() && !entry.path().string().ends_with(".tmp")) found.push_back(entry.path());
    }
    std::sort(found.begin(), found.end());
    return found;
}

nlohmann::json summary_of(const fs::path& bundle) { return nlohmann::json::parse(read_file(bundle / "summary.json")); }

}  // namespace corral::test
