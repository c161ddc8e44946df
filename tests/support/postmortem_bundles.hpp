#pragma once
// Post-mortem bundles as the tests read them, and the guard of tests that need this host's cgroup layout.
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace corral::test {

// The complete bundles of one instance ("api-0") under `state`, oldest first (a "*.tmp" one is still
// being written).
std::vector<std::filesystem::path> bundles(const std::filesystem::path& state, const std::string& instance);
nlohmann::json summary_of(const std::filesystem::path& bundle);

}  // namespace corral::test

// Ends the test with a message on a host without the hybrid cgroup layout these tests use (needs
// tests/support/test_cgroups.hpp).
#define REQUIRE_CGROUPS()                                                                     \
    if (!corral::test::hybrid_cgroups()) {                                                    \
        MESSAGE("skipped: this host does not have the hybrid cgroup layout these tests use"); \
        return;                                                                               \
    }
