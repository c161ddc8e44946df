#include "tests/supervisor/cli/pm2_import/import_checks.hpp"

#include <doctest/doctest.h>

#include "supervisor/cli/pm2_import/ecosystem_import.hpp"
#include "supervisor/cli/pm2_import/ecosystem_reader.hpp"
#include "supervisor/cli/pm2_import/service_file_text.hpp"

namespace corral::test {
namespace {

bool has(const std::vector<pm2::Finding>& findings, const std::string& app, const std::string& key) {
    for (const auto& finding : findings) {
        if (finding.app == app && finding.key == key) return true;
    }
    return false;
}

}  // namespace

const config::ServiceSpec* Imported::service(const std::string& name) const {
    if (!loaded.config) return nullptr;
    for (const auto& spec : loaded.config->services) {
        if (spec.name == name) return &spec;
    }
    return nullptr;
}

bool Imported::unmapped(const std::string& app, const std::string& key) const { return has(result.unmapped, app, key); }

bool Imported::approximated(const std::string& app, const std::string& key) const {
    return has(result.approximations, app, key);
}

Imported import_document(const nlohmann::json& document, const TempDir& dir, pm2::ImportOptions options) {
    Imported imported;
    imported.result = pm2::import_ecosystem(document, options);
    imported.text = pm2::service_file_text(imported.result, "ecosystem.config.js");
    const auto file = dir.write("corral.toml", imported.text);
    imported.loaded = config::load_config_file(file);
    for (const auto& error : imported.loaded.errors) imported.load_errors += error.to_string() + "\n";
    return imported;
}

Imported import_fixture(const std::string& name, const TempDir& dir, pm2::ImportOptions options) {
    const pm2::EcosystemRead read = pm2::read_ecosystem(std::filesystem::path(CORRAL_PM2_FIXTURES) / name);
    INFO(read.error);
    REQUIRE(read.document);
    return import_document(*read.document, dir, std::move(options));
}

}  // namespace corral::test
