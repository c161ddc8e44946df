#pragma once
// The fixtures append "<what> <pid> <epoch ms>" lines to RECORD_FILE; tests read them back.
#include <sys/types.h>

#include <filesystem>
#include <string>
#include <vector>

namespace corral::test {

struct Record {
    std::string what;
    pid_t pid = 0;
    long long ms = 0;
};

std::vector<Record> read_records(const std::filesystem::path& file);
std::vector<Record> records_of(const std::filesystem::path& file, const std::string& what);
std::size_t count_records(const std::filesystem::path& file, const std::string& what);

// Lines of `file` that contain `needle`.
std::vector<std::string> lines_containing(const std::filesystem::path& file, const std::string& needle);

}  // namespace corral::test
