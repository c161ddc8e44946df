#include "supervisor/cli/import_command.hpp"

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <system_error>

#include "base/exit_codes.hpp"
#include "base/file_text.hpp"
#include "supervisor/cli/import_report.hpp"
#include "supervisor/cli/pm2_import/ecosystem_import.hpp"
#include "supervisor/cli/pm2_import/ecosystem_reader.hpp"
#include "supervisor/cli/pm2_import/service_file_text.hpp"
#include "supervisor/config/load_config.hpp"

namespace corral::supervisor::cli {
namespace {

namespace fs = std::filesystem;

bool same_directory(const fs::path& a, const fs::path& b) {
    std::error_code error;
    return fs::weakly_canonical(fs::absolute(a), error) == fs::weakly_canonical(fs::absolute(b), error);
}

unsigned cpu_count() {
    const long count = ::sysconf(_SC_NPROCESSORS_ONLN);
    return count > 0 ? static_cast<unsigned>(count) : 1;
}

// Where the service file goes, and what pm2 paths are resolved against when it is not beside the ecosystem file.
struct Target {
    fs::path file;  // the output ("" for stdout)
    fs::path anchor;  // what the loader resolves relative paths against: the output, or corral.toml beside the input
    std::string absolute_base;
};

Target target_of(const ImportOptions& options, const fs::path& input) {
    Target target;
    const fs::path input_dir = fs::absolute(input).parent_path();
    target.file = options.output == "-" ? fs::path() : options.output.empty() ? input_dir / "corral.toml"
                                                                             : fs::path(options.output);
    target.anchor = target.file.empty() ? input_dir / "corral.toml" : target.file;
    if (!same_directory(fs::absolute(target.anchor).parent_path(), input_dir)) {
        target.absolute_base = input_dir.lexically_normal().string();
    }
    return target;
}

}  // namespace

int import_command(const ImportOptions& options) {
    const fs::path input(options.file);
    const Target target = target_of(options, input);
    std::error_code error;
    if (!target.file.empty() && !options.force && fs::exists(target.file, error)) {
        std::fprintf(stderr, "corral import: %s exists; give --force to replace it, or -o another file (-o - prints it)\n",
                     target.file.c_str());
        return kExitFailed;
    }
    pm2::EcosystemRead read = pm2::read_ecosystem(input);
    if (!read.document) {
        std::fprintf(stderr, "corral import: %s\n", read.error.c_str());
        return kExitUsage;
    }
    pm2::ImportOptions import_options;
    import_options.cpu_count = cpu_count();
    import_options.env_name = options.env;
    import_options.absolute_base = target.absolute_base;
    const pm2::ImportResult result = pm2::import_ecosystem(*read.document, import_options);
    print_dropped(options.file, read.dropped);
    if (!result.errors.empty()) {
        for (const auto& problem : result.errors) std::fprintf(stderr, "%s: %s\n", options.file.c_str(), problem.c_str());
        std::fprintf(stderr, "corral import: %zu error(s) in %s; nothing was written\n", result.errors.size(),
                     options.file.c_str());
        return kExitUsage;
    }
    const std::string source = target.absolute_base.empty() ? input.filename().string()
                                                            : fs::absolute(input).lexically_normal().string();
    const std::string text = pm2::service_file_text(result, source);
    if (target.file.empty()) {
        std::fwrite(text.data(), 1, text.size(), stdout);
        std::fflush(stdout);
    } else if (const Status written = write_file_atomically(target.file, text); !written) {
        std::fprintf(stderr, "corral import: %s\n", written.error().message().c_str());
        return kExitFailed;
    }
    print_report(result);
    const config::LoadResult loaded = config::load_config_text(text, target.anchor);
    print_summary(result, target.file.empty() ? std::string("-") : target.file.string(), options.file);
    return print_load_errors(loaded.errors) ? kExitOk : kExitFailed;
}

ImportCli::ImportCli(CLI::App& parent) {
    app = parent.add_subcommand("import", "Write a corral service file from a pm2 ecosystem file "
                                          "(ecosystem.config.js, .json, .yaml)");
    app->add_option("file", options.file, "The ecosystem file")->required();
    app->add_option("-o,--output", options.output,
                    "The service file to write (default: corral.toml beside FILE; - prints it)");
    app->add_flag("--force", options.force, "Replace the output file if it exists");
    app->add_option("--env", env, "Merge the app's env_NAME into env, as `pm2 start --env NAME` does");
}

int ImportCli::run() {
    if (app->count("--env") > 0) options.env = env;
    return import_command(options);
}

}  // namespace corral::supervisor::cli
