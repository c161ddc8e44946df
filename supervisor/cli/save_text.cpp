#include "supervisor/cli/save_text.hpp"

#include "supervisor/config/service_toml.hpp"

namespace corral::supervisor::cli {

namespace {

namespace fs = std::filesystem;

std::optional<config::ServiceSpec> spec_of(const Json& item) {
    config::ServiceSpec spec;
    try {
        spec.name = item.at("name").get<std::string>();
        spec.command = item.at("command").get<std::vector<std::string>>();
        spec.shell = item.value("shell", false);
        spec.cwd = item.at("cwd").get<std::string>();
        const Json env = item.value("env", Json::object());
        for (auto entry = env.begin(); entry != env.end(); ++entry) spec.env[entry.key()] = entry->get<std::string>();
        spec.instances = item.value("instances", 1u);
        const auto restart = policies::restart_mode_from(item.value("restart", std::string("always")));
        if (!restart) return std::nullopt;
        spec.restart = *restart;
    } catch (const Json::exception&) {
        return std::nullopt;
    }
    return spec;
}

}  // namespace

std::vector<config::ServiceSpec> DaemonServices::adhoc_services() const {
    std::vector<config::ServiceSpec> specs;
    for (const auto& spec : services) {
        if (adhoc.contains(spec.name)) specs.push_back(spec);
    }
    return specs;
}

std::optional<DaemonServices> read_services(const Json& result, std::string& error) {
    DaemonServices daemon;
    const auto services = result.find("services");
    if (!result.is_object() || services == result.end() || !services->is_array()) {
        error = "the daemon's reply to \"services\" has no list of services";
        return std::nullopt;
    }
    daemon.file = result.value("file", std::string());
    daemon.state_dir = result.value("state_dir", std::string());
    for (const auto& item : *services) {
        auto spec = item.is_object() ? spec_of(item) : std::nullopt;
        if (!spec) {
            error = "the daemon described a service in a way this corral does not read: " + item.dump();
            return std::nullopt;
        }
        if (item.value("adhoc", false)) daemon.adhoc.insert(spec->name);
        daemon.services.push_back(std::move(*spec));
    }
    return daemon;
}

std::string merged_text(const std::string& existing, const std::vector<config::ServiceSpec>& added) {
    std::string text = existing;
    if (!text.empty() && text.back() != '\n') text += '\n';
    if (!text.empty()) text += '\n';
    return text + "# Added to the running daemon (corral run), saved by corral save.\n" + config::services_text(added);
}

std::string whole_text(const DaemonServices& daemon, const std::optional<std::string>& source,
                       const fs::path& target) {
    if (source) {
        const auto added = daemon.adhoc_services();
        return added.empty() ? *source : merged_text(*source, added);
    }
    const fs::path default_state_dir = (target.parent_path() / ".corral").lexically_normal();
    std::optional<fs::path> state_dir;
    if (!daemon.state_dir.empty() && daemon.state_dir.lexically_normal() != default_state_dir) state_dir = daemon.state_dir;
    return config::service_file_text(daemon.services, state_dir);
}

}  // namespace corral::supervisor::cli
