#include "supervisor/agent/agent_file.hpp"

#include <doctest/doctest.h>
#include <sys/stat.h>

#include "tests/support/temp_dir.hpp"

using corral::agent::agent_source;
using corral::agent::install_agent;
using corral::test::read_file;
using corral::test::TempDir;
namespace fs = std::filesystem;

namespace {

struct stat stat_of(const fs::path& file) {
    struct stat info {};
    REQUIRE(::stat(file.c_str(), &info) == 0);
    return info;
}

// Sets the process's umask for a scope.
struct Umask {
    mode_t saved;
    explicit Umask(mode_t mask) : saved(::umask(mask)) {}
    ~Umask() { ::umask(saved); }
};

}  // namespace

TEST_CASE("agent file: the embedded text is agent.js byte for byte") {
    CHECK(agent_source() == read_file(CORRAL_AGENT_JS));
    CHECK(agent_source().size() > 1000);
}

TEST_CASE("agent file: install_agent creates the directory and writes the file once, mode 0644") {
    TempDir dir;
    const Umask strict(077);
    const auto installed = install_agent(dir / "state" / "agent");
    REQUIRE(installed.ok());
    CHECK(*installed == dir / "state" / "agent" / "corral-agent.js");
    CHECK(read_file(*installed) == agent_source());
    const struct stat first = stat_of(*installed);
    CHECK((first.st_mode & 07777) == 0644);

    // The same content: left as it is (a rewrite would be a new file: another inode).
    const auto again = install_agent(dir / "state" / "agent");
    REQUIRE(again.ok());
    CHECK(stat_of(*again).st_ino == first.st_ino);
}

TEST_CASE("agent file: a file that differs is replaced, with no temporary file left") {
    TempDir dir;
    const fs::path file = dir.write("corral-agent.js", "// an older agent\n");
    const ino_t old_inode = stat_of(file).st_ino;
    const auto installed = install_agent(dir.path());
    REQUIRE(installed.ok());
    CHECK(read_file(file) == agent_source());
    CHECK(stat_of(file).st_ino != old_inode);
    int entries = 0;
    for ([[maybe_unused]] const auto& entry : fs::directory_iterator(dir.path())) ++entries;
    CHECK(entries == 1);
}

TEST_CASE("agent file: a directory that cannot be made or written gives an error naming it") {
    TempDir dir;
    dir.write("plain-file", "");
    const auto under_file = install_agent(dir / "plain-file" / "agent");
    REQUIRE_FALSE(under_file.ok());
    CHECK(under_file.error().code == ENOTDIR);
    CHECK(under_file.error().message() ==
          "cannot create directory " + (dir / "plain-file" / "agent").string() + ": Not a directory");

    // /proc/self exists, but no file can be created in it (not even by root).
    const auto unwritable = install_agent("/proc/self");
    REQUIRE_FALSE(unwritable.ok());
    CHECK(unwritable.error().path == "/proc/self/corral-agent.js");
    CHECK(unwritable.error().message().rfind("cannot create a temporary file for /proc/self/corral-agent.js: ", 0) == 0);
}
