#pragma once
// Frames for the spill journal's tests: each says which one it is, and reading one back must succeed.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <string>

#include "ipc/spill_journal.hpp"

namespace corral::test {

// A frame that says which one it is, `size` bytes long (at least its number).
inline std::string journal_frame(std::uint64_t number, std::size_t size) {
    std::string text = std::to_string(number) + ":";
    text.resize(std::max(size, text.size()), static_cast<char>('a' + number % 26));
    return text;
}

// The journal's next frame; fails the test when there is none or it cannot be read.
inline std::string read_one(ipc::SpillJournal& journal) {
    auto next = journal.read_next();
    REQUIRE_MESSAGE(next.ok(), next.error().message());
    REQUIRE(next->has_value());
    return **next;
}

}  // namespace corral::test
