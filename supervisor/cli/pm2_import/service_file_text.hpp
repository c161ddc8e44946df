#pragma once
// The imported services as the text of a corral service file: a header naming the ecosystem file, then
// one [services.NAME] table each, keys in the order README documents them, every value written by
// toml++ (so strings are escaped as TOML wants), the mapping's notes as comments above their keys.
#include <string>

#include "supervisor/cli/pm2_import/import_result.hpp"

namespace corral::pm2 {

std::string service_file_text(const ImportResult& result, const std::string& source);

}  // namespace corral::pm2
