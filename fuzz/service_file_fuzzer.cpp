// libFuzzer target: arbitrary bytes as a service file. The loader must never throw or crash, must return
// a Config exactly when it reports no error, and every error must render as FILE:LINE:COL: message.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "supervisor/config/load_config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const auto result = corral::config::load_config_text(text, "fuzz.toml");
    if (result.config.has_value() == !result.errors.empty()) std::abort();
    for (const auto& error : result.errors) {
        if (error.message.empty() || !error.to_string().starts_with("fuzz.toml:")) std::abort();
    }
    if (result.config && result.config->services.empty()) std::abort();
    return 0;
}
