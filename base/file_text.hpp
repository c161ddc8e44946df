#pragma once
// Whole-file reads and writes that other processes may watch: status files, log tails.
#include <filesystem>
#include <string>

#include "base/sys_result.hpp"

namespace corral {

// Writes `text` to `file` through a temporary file in the same directory and rename(), so that readers
// never see half a file.
Status write_file_atomically(const std::filesystem::path& file, const std::string& text);

// The last `lines` lines of a log, reaching into its rotated predecessor (.1) when the live file is short.
// At most the last 256 KiB of each file are read, whatever the lines' lengths.
std::string tail_lines(const std::filesystem::path& file, int lines);

}  // namespace corral
