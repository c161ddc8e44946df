#pragma once
// Where a service is written in its service file, for `corral describe`: the line of its table header,
// [services.NAME] or [services."NAME"] (also with spaces inside the brackets). A service written another
// way (an inline table, a dotted key) has none: the specs keep no places, and this is only a pointer.
#include <filesystem>
#include <optional>
#include <string_view>

namespace corral::config {

// The 1-based line of the header in `text`; nullopt when there is none.
std::optional<unsigned> service_header_line(std::string_view text, std::string_view name);
// The same in `file` (read now; nullopt when it cannot be read).
std::optional<unsigned> service_header_line_in(const std::filesystem::path& file, std::string_view name);

}  // namespace corral::config
