#include "tests/support/records.hpp"

#include <fstream>
#include <sstream>

namespace corral::test {

std::vector<Record> read_records(const std::filesystem::path& file) {
    std::vector<Record> records;
    std::ifstream in(file);
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream fields(line);
        Record record;
        if (fields >> record.what >> record.pid >> record.ms) records.push_back(record);
    }
    return records;
}

std::vector<Record> records_of(const std::filesystem::path& file, const std::string& what) {
    std::vector<Record> matching;
    for (const auto& record : read_records(file)) {
        if (record.what == what) matching.push_back(record);
    }
    return matching;
}

std::size_t count_records(const std::filesystem::path& file, const std::string& what) {
    return records_of(file, what).size();
}

std::vector<std::string> lines_containing(const std::filesystem::path& file, const std::string& needle) {
    std::vector<std::string> lines;
    std::ifstream in(file);
    std::string line;
    while (std::getline(in, line)) {
        if (line.find(needle) != std::string::npos) lines.push_back(line);
    }
    return lines;
}

}  // namespace corral::test
