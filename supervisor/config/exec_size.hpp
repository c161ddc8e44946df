#pragma once
// A service's command and environment against the kernel's limits on what execve() accepts, checked when
// the file is loaded: otherwise every start fails with E2BIG ("Argument list too long").
//
// Linux refuses a single argument or environment string longer than MAX_ARG_STRLEN (32 pages, 131072
// bytes with 4 KiB pages), and arguments and environment together (the strings with their NULs, and a
// pointer to each) beyond ARG_MAX (sysconf(_SC_ARG_MAX): a quarter of the stack limit, 2 MiB by default).
// The environment a service gets is the daemon's own, its `env` and corral's additions (CORRAL_SERVICE,
// CORRAL_INSTANCE, Node's channel, NODE_OPTIONS for diagnostics, the exec shim's own arguments): those
// are estimated from above, so that a file that passes here never fails at exec for its size.
#include <cstddef>
#include <string>

#include <toml++/toml.h>

#include "supervisor/config/service_spec.hpp"
#include "supervisor/config/toml_fields.hpp"

namespace corral::config {

struct ExecLimits {
    std::size_t arg_max = 0;         // arguments + environment, bytes
    std::size_t max_arg_strlen = 0;  // one string, bytes with its NUL
    std::size_t inherited = 0;       // what the daemon's environment and corral's additions take
};

// The limits of this machine and process: sysconf(_SC_ARG_MAX), MAX_ARG_STRLEN, the size of `environ`
// plus an allowance for corral's additions.
ExecLimits exec_limits_here();

// Reports, at the offending value, every string over max_arg_strlen and a total over arg_max.
void check_exec_size(Diagnostics& diagnostics, const toml::table& service, const std::string& path,
                     const ServiceSpec& spec, const ExecLimits& limits);

}  // namespace corral::config
