#pragma once
// The mapping of one pm2 app to one corral service, key group by key group. An AppMapper wraps the app's
// JSON object: every pm2 key read through take() is consumed; what is left at the end is reported as
// unmapped (unmapped_keys.hpp). Findings go to the ImportResult, comments to the service.
#include <initializer_list>
#include <set>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "supervisor/cli/pm2_import/import_result.hpp"

namespace corral::pm2 {

class AppMapper {
public:
    AppMapper(const nlohmann::json& app, std::string app_name, const ImportOptions& options,
              ImportedService& service, ImportResult& result)
        : app_(app), app_name_(std::move(app_name)), options_(options), service_(service), result_(result) {}

    const nlohmann::json& app() const { return app_; }
    const std::string& app_name() const { return app_name_; }
    const ImportOptions& options() const { return options_; }
    ImportedService& service() { return service_; }

    // The value of the first of `keys` present (pm2's aliases), nullptr when none is; all of them consumed.
    const nlohmann::json* take(std::initializer_list<std::string_view> keys);
    const nlohmann::json* take(std::string_view key) { return take({key}); }
    bool consumed(const std::string& key) const { return consumed_.count(key) > 0; }

    // A comment above `corral_key` in the written file (none for ""), and the same line in the report.
    void approximate(std::string_view pm2_key, const std::string& corral_key, const std::string& text);
    // A comment above `corral_key` only.
    void note(const std::string& corral_key, const std::string& text);
    // A key corral has no place for: the report says what to do instead.
    void unmapped(std::string_view pm2_key, const std::string& what_to_do);
    // A value of the wrong type for pm2 itself: reported, not mapped.
    void invalid(std::string_view pm2_key, const nlohmann::json& value, std::string_view expected);
    void error(const std::string& text);

private:
    const nlohmann::json& app_;
    std::string app_name_;
    const ImportOptions& options_;
    ImportedService& service_;
    ImportResult& result_;
    std::set<std::string> consumed_;
};

// The key groups, in the order they run (command first: others look at the command it wrote).
void map_command(AppMapper& mapper);    // script, args, interpreter, node_args, cwd
void map_env(AppMapper& mapper);        // env, env_<name>, port
void map_restarts(AppMapper& mapper);   // autorestart, stop_exit_codes, delays, max_restarts, min_uptime, kill_timeout
void map_scaling(AppMapper& mapper);    // instances, exec_mode, wait_ready, listen_timeout, memory, log dates
void report_unmapped(AppMapper& mapper);  // every key left: what to do instead

}  // namespace corral::pm2
