#pragma once
// Turns the chunks read from a child's stdout or stderr into whole lines. A line split across reads is
// joined; a line longer than max_line is cut into max_line pieces so memory stays bounded whatever the
// child writes; a partial line left at EOF is completed with a newline by finish().
#include <cstddef>
#include <string>
#include <string_view>

namespace corral {

class LineAssembler {
public:
    // `prefix` is called before each line is appended to `out` (for a timestamp); may be empty.
    using Prefix = void (*)(std::string& out);

    explicit LineAssembler(std::size_t max_line = 64 * 1024, Prefix prefix = nullptr)
        : max_line_(max_line), prefix_(prefix) {}

    // Appends every complete line of partial+chunk to `out`, each ending in '\n'; keeps the rest.
    void feed(std::string_view chunk, std::string& out);
    // Appends the pending partial line, if any, with a newline added.
    void finish(std::string& out);

    std::size_t pending() const { return partial_.size(); }

private:
    void emit(std::string_view line, std::string& out);

    std::size_t max_line_;
    Prefix prefix_;
    std::string partial_;
};

// Appends "2026-11-25T12:00:01.123Z " (UTC, now) to `out`.
void append_utc_timestamp(std::string& out);

}  // namespace corral
