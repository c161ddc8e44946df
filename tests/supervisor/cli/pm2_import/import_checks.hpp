#pragma once
// Helpers of the pm2 import tests: import a document or a fixture file, write the service file into a
// temporary directory and load it with corral's own loader, and look findings up.
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "supervisor/cli/pm2_import/import_result.hpp"
#include "supervisor/config/load_config.hpp"
#include "tests/support/temp_dir.hpp"

namespace corral::test {

struct Imported {
    pm2::ImportResult result;
    std::string text;           // the service file
    config::LoadResult loaded;  // the file as corral up would load it
    std::string load_errors;    // one per line

    const config::ServiceSpec* service(const std::string& name) const;
    // A finding about `key` of `app` ("" for the file) among the unmapped keys / the approximations.
    bool unmapped(const std::string& app, const std::string& key) const;
    bool approximated(const std::string& app, const std::string& key) const;
};

Imported import_document(const nlohmann::json& document, const TempDir& dir, pm2::ImportOptions options = {});
Imported import_fixture(const std::string& name, const TempDir& dir, pm2::ImportOptions options = {});

}  // namespace corral::test
