#pragma once
// A pm2 ecosystem document (as JSON, whatever file it came from) -> corral services. Pure: the same
// document and options give the same result. pm2 accepts { apps: [...] }, { pm2: [...] }, a bare array
// of apps or a single app object; so does this.
#include <nlohmann/json.hpp>

#include "supervisor/cli/pm2_import/import_result.hpp"

namespace corral::pm2 {

ImportResult import_ecosystem(const nlohmann::json& document, const ImportOptions& options);

}  // namespace corral::pm2
