#include "supervisor/cli/import_report.hpp"

#include <cstdio>

namespace corral::supervisor::cli {
namespace {

void print_findings(const char* title, const std::vector<pm2::Finding>& findings) {
    if (findings.empty()) return;
    std::fprintf(stderr, "%s\n", title);
    for (const auto& finding : findings) {
        const std::string where = finding.app.empty() ? "(file)" : "app " + finding.app;
        const std::string key = finding.key.empty() ? "" : finding.key + ": ";
        std::fprintf(stderr, "  %s: %s%s\n", where.c_str(), key.c_str(), finding.text.c_str());
    }
}

}  // namespace

void print_dropped(const std::string& file, const std::vector<std::string>& dropped) {
    for (const auto& value : dropped) {
        std::fprintf(stderr, "%s: left out %s: JSON cannot hold it, so corral cannot use it; write a plain value\n",
                     file.c_str(), value.c_str());
    }
}

void print_report(const pm2::ImportResult& result) {
    print_findings("not mapped (do this instead):", result.unmapped);
    print_findings("approximations (the file's comments say the same):", result.approximations);
}

void print_summary(const pm2::ImportResult& result, const std::string& output, const std::string& input) {
    std::string names;
    for (const auto& service : result.services) names += (names.empty() ? "" : ", ") + service.name;
    std::fprintf(stderr, "corral import: %s: %zu service(s) (%s) from %s; %zu key(s) not mapped\n",
                 output == "-" ? "printed" : ("wrote " + output).c_str(), result.services.size(), names.c_str(),
                 input.c_str(), result.unmapped.size());
}

bool print_load_errors(const config::ConfigErrors& errors) {
    if (errors.empty()) return true;
    std::fprintf(stderr, "corral import: corral up would refuse the file as it is:\n");
    for (const auto& error : errors) std::fprintf(stderr, "  %s\n", error.to_string().c_str());
    return false;
}

}  // namespace corral::supervisor::cli
