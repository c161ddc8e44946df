#pragma once
// What `corral describe` shows of a service's environment: the value of a variable whose name looks like
// it holds a secret (it contains KEY, TOKEN, SECRET, PASSWORD, PASSWD, CREDENTIAL or PRIVATE, in any
// case) is masked, so that a description can be pasted into an issue. Better one harmless value too many
// masked (MONKEY) than a token shown.
#include <map>
#include <string>
#include <string_view>

namespace corral::config {

inline constexpr std::string_view kMaskedValue = "********";

bool looks_secret(std::string_view name);
// `env` with the values of the secret-looking names replaced by kMaskedValue (an empty value stays empty:
// there is nothing to hide).
std::map<std::string, std::string> masked_env(const std::map<std::string, std::string>& env);

}  // namespace corral::config
