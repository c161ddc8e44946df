#pragma once
// What importing a pm2 ecosystem file produces: one service per pm2 app, ready to be written as a corral
// service file, and everything the user must hear about: keys that could not be mapped (with what to do
// instead) and approximations. Plain values; nothing here touches the disk.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <toml++/toml.h>

namespace corral::pm2 {

// One line of the report: "app web: watch: corral does not watch files (...)".
struct Finding {
    std::string app;  // the pm2 app's name as written ("" for the file itself)
    std::string key;  // the pm2 key ("" when about the app as a whole)
    std::string text;
};

struct ImportedService {
    std::string name;      // a valid corral service name
    toml::table fields;    // corral keys of [services.NAME] -> values
    // Comment lines written above a corral key ("" for above the table header): how it was derived.
    std::map<std::string, std::vector<std::string>> notes;
    // Comment lines written after the service's keys: other pm2 environments, suggestions.
    std::vector<std::string> trailer;
};

struct ImportResult {
    std::vector<ImportedService> services;  // in file order
    std::vector<Finding> unmapped;          // keys corral has no place for, each with what to do instead
    std::vector<Finding> approximations;    // mapped, but not exactly: renames, derived values
    std::vector<std::string> errors;        // nothing can be written: no apps, an app without script, ...
};

struct ImportOptions {
    unsigned cpu_count = 1;                // instances "max", 0 and -1 are resolved with it
    std::optional<std::string> env_name;   // --env NAME: merge env_NAME into env, as `pm2 start --env NAME`
    // The directory relative cwd values and the default cwd are resolved against when the output is not
    // beside the ecosystem file (then cwd is written absolute); empty when it is.
    std::string absolute_base;
};

}  // namespace corral::pm2
