#pragma once
// What `corral import` tells the user on stderr: values node could not give as JSON, the pm2 keys that
// could not be mapped (with what to do instead), the approximations, and whether corral's loader accepts
// the written file.
#include <string>
#include <vector>

#include "supervisor/cli/pm2_import/import_result.hpp"
#include "supervisor/config/config_error.hpp"

namespace corral::supervisor::cli {

void print_dropped(const std::string& file, const std::vector<std::string>& dropped);
void print_report(const pm2::ImportResult& result);
void print_summary(const pm2::ImportResult& result, const std::string& output, const std::string& input);
// True when there are none; else prints them with what they mean for `corral up`.
bool print_load_errors(const config::ConfigErrors& errors);

}  // namespace corral::supervisor::cli
