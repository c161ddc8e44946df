#pragma once
// A fresh directory for one test (mkdtemp under the system temp directory), removed with everything in
// it when the TempDir goes out of scope, whether the test passed or not.
#include <filesystem>
#include <string>
#include <string_view>

namespace corral::test {

class TempDir {
public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    const std::filesystem::path& path() const { return path_; }
    std::filesystem::path operator/(std::string_view relative) const { return path_ / relative; }
    // Writes `content` to path()/relative, creating the directories on the way; returns the full path.
    std::filesystem::path write(std::string_view relative, std::string_view content) const;
    // Creates path()/relative and its parents; returns the full path.
    std::filesystem::path make_dir(std::string_view relative) const;

private:
    std::filesystem::path path_;
};

std::string read_file(const std::filesystem::path& file);  // "" when missing

}  // namespace corral::test
