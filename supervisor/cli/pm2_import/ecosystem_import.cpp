#include "supervisor/cli/pm2_import/ecosystem_import.hpp"

#include "supervisor/cli/pm2_import/app_mapper.hpp"
#include "supervisor/cli/pm2_import/pm2_values.hpp"
#include "supervisor/cli/pm2_import/service_names.hpp"

namespace corral::pm2 {
namespace {

// The apps of the document; file-level keys other than the apps are reported.
nlohmann::json apps_of(const nlohmann::json& document, ImportResult& result) {
    if (document.is_array()) return document;
    if (!document.is_object()) return nlohmann::json();
    const char* list_key = document.contains("apps") ? "apps" : document.contains("pm2") ? "pm2" : nullptr;
    if (list_key == nullptr) return nlohmann::json::array({document});
    for (const auto& [key, value] : document.items()) {
        if (key == list_key) continue;
        if (key == "deploy") {
            result.unmapped.push_back({"", key, "corral does not deploy: fetch and build in your deploy script or "
                                                "CI, then `corral reload` rolls the services"});
        } else if (key == "static") {
            result.unmapped.push_back({"", key, "serve static files from an app or a web server run as a service"});
        } else {
            result.unmapped.push_back({"", key, "not a part of a pm2 ecosystem file: ignored"});
        }
    }
    const nlohmann::json& apps = document[list_key];
    return apps.is_object() ? nlohmann::json::array({apps}) : apps;
}

std::string pm2_name_of(const nlohmann::json& app, std::size_t index) {
    const auto name = app.find("name");
    if (name != app.end() && name->is_string() && !name->get_ref<const std::string&>().empty()) return name->get<std::string>();
    for (const char* key : {"script", "exec", "cmd", "command"}) {
        const auto script = app.find(key);
        if (script != app.end() && script->is_string()) return default_name(script->get<std::string>());
    }
    return "app #" + std::to_string(index + 1);
}

void import_app(const nlohmann::json& app, std::size_t index, const ImportOptions& options, NameBook& names,
                ImportResult& result) {
    const std::string pm2_name = pm2_name_of(app, index);
    if (!app.is_object()) {
        result.errors.push_back("app #" + std::to_string(index + 1) + ": expected an object of options, got " + shown(app));
        return;
    }
    ImportedService service;
    service.name = names.claim(sanitized_name(pm2_name));
    if (service.name != pm2_name) {
        const std::string why = sanitized_name(pm2_name) == pm2_name ? "another app has that name"
                                                                     : "corral names are letters, digits, _ . -";
        result.approximations.push_back({pm2_name, "name", "service " + service.name + " (" + why + ")"});
        service.notes[""].push_back("pm2 app \"" + pm2_name + "\"");
    }
    AppMapper mapper(app, pm2_name, options, service, result);
    mapper.take("name");
    map_command(mapper);
    map_env(mapper);
    map_restarts(mapper);
    map_scaling(mapper);
    report_unmapped(mapper);
    result.services.push_back(std::move(service));
}

}  // namespace

ImportResult import_ecosystem(const nlohmann::json& document, const ImportOptions& options) {
    ImportResult result;
    const nlohmann::json apps = apps_of(document, result);
    if (!apps.is_array() || apps.empty()) {
        result.errors.push_back("no apps: expected { apps: [ { name, script, ... } ] }, an array of apps or one app "
                                "object, got " + shown(document));
        return result;
    }
    NameBook names;
    for (std::size_t i = 0; i < apps.size(); ++i) import_app(apps[i], i, options, names, result);
    return result;
}

}  // namespace corral::pm2
