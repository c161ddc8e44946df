// Finding the daemon's socket and state directory: --socket, -c FILE, $CORRAL_SOCKET, the registry,
// ./corral.toml, ./.corral; in a temporary working directory.
#include "supervisor/cli/socket_path.hpp"

#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdlib>
#include <optional>
#include <string>

#include "supervisor/registry/registry.hpp"
#include "supervisor/registry/runtime_dir.hpp"
#include "tests/support/temp_dir.hpp"

using namespace corral::supervisor::cli;
using corral::test::TempDir;
namespace fs = std::filesystem;

namespace {

// Runs the test in `dir`, and goes back where it was afterwards.
class WorkingDirectory {
public:
    explicit WorkingDirectory(const fs::path& dir) : previous_(fs::current_path()) { fs::current_path(dir); }
    ~WorkingDirectory() { fs::current_path(previous_); }

private:
    fs::path previous_;
};

// Sets (or, with nullopt, unsets) an environment variable for the test, and restores it afterwards.
class Env {
public:
    Env(const char* name, std::optional<std::string> value) : name_(name) {
        if (const char* old = std::getenv(name)) old_ = old;
        value ? setenv(name, value->c_str(), 1) : unsetenv(name);
    }
    ~Env() { old_ ? setenv(name_, old_->c_str(), 1) : unsetenv(name_); }

private:
    const char* name_;
    std::optional<std::string> old_;
};

const std::string kService = "[services.api]\ncommand = [\"node\", \"server.js\"]\n";

}  // namespace

TEST_CASE("socket path: ./.corral/corral.sock without anything else") {
    TempDir dir;
    WorkingDirectory cwd(dir.path());
    Env env(kSocketEnv, std::nullopt);
    const Lookup socket = find_socket(std::nullopt, std::nullopt);
    REQUIRE(socket.ok());
    CHECK(socket.path == fs::current_path() / ".corral/corral.sock");
    CHECK_FALSE(socket.file);
    CHECK(display_path(socket.path) == "./.corral/corral.sock");
    const Lookup state = find_state_dir(std::nullopt);
    CHECK(state.path == fs::current_path() / ".corral");
}

TEST_CASE("socket path: the state directory of ./corral.toml when there is one") {
    TempDir dir;
    dir.write("corral.toml", "[supervisor]\nstate_dir = \"run/state\"\n" + kService);
    WorkingDirectory cwd(dir.path());
    Env env(kSocketEnv, std::nullopt);
    const Lookup socket = find_socket(std::nullopt, std::nullopt);
    REQUIRE(socket.ok());
    CHECK(socket.path == fs::current_path() / "run/state/corral.sock");
    CHECK(socket.file == fs::path("corral.toml"));
    CHECK(find_state_dir(std::nullopt).path == fs::current_path() / "run/state");
}

TEST_CASE("socket path: -c FILE reads that file's state directory relative to the file") {
    TempDir dir;
    dir.write("conf/app.toml", "[supervisor]\nstate_dir = \"../elsewhere\"\n" + kService);
    dir.write("corral.toml", "[supervisor]\nstate_dir = \"ignored\"\n" + kService);
    WorkingDirectory cwd(dir.path());
    Env env(kSocketEnv, "/run/from-env.sock");
    const Lookup socket = find_socket(std::nullopt, fs::path("conf/app.toml"));
    REQUIRE(socket.ok());
    CHECK(socket.path == fs::current_path() / "elsewhere/corral.sock");  // -c wins over the environment
    CHECK(find_state_dir(fs::path("conf/app.toml")).path == fs::current_path() / "elsewhere");
}

TEST_CASE("socket path: CORRAL_SOCKET when set and not empty") {
    TempDir dir;
    dir.write("corral.toml", "[supervisor]\nstate_dir = \"run/state\"\n" + kService);
    WorkingDirectory cwd(dir.path());
    {
        Env env(kSocketEnv, "/run/corral/api.sock");
        const Lookup socket = find_socket(std::nullopt, std::nullopt);
        CHECK(socket.path == "/run/corral/api.sock");
        CHECK(display_path(socket.path) == "/run/corral/api.sock");
    }
    {
        Env env(kSocketEnv, "sockets/x.sock");  // relative to the working directory
        CHECK(find_socket(std::nullopt, std::nullopt).path == fs::current_path() / "sockets/x.sock");
    }
    {
        Env env(kSocketEnv, "");
        CHECK(find_socket(std::nullopt, std::nullopt).path == fs::current_path() / "run/state/corral.sock");
    }
}

TEST_CASE("socket path: --socket wins over everything") {
    TempDir dir;
    dir.write("corral.toml", "[supervisor]\nstate_dir = \"run/state\"\n" + kService);
    WorkingDirectory cwd(dir.path());
    Env env(kSocketEnv, "/run/from-env.sock");
    const Lookup socket = find_socket(fs::path("my/../d.sock"), std::nullopt);
    REQUIRE(socket.ok());
    CHECK(socket.path == fs::current_path() / "d.sock");
    CHECK(display_path(socket.path) == "./d.sock");
}

TEST_CASE("socket path: a service file with errors still gives its state directory, a missing one an error") {
    TempDir dir;
    WorkingDirectory cwd(dir.path());
    Env env(kSocketEnv, std::nullopt);
    Env runtime("CORRAL_RUNTIME_DIR", (dir / "runtime").string());
    dir.write("corral.toml", "[supervisor]\nstate_dir = \"run\"\nstate_dirr = 1\n[services.api]\ncommand = 3\n");
    const Lookup semantic = find_socket(std::nullopt, std::nullopt);
    REQUIRE(semantic.ok());
    CHECK(semantic.path == fs::current_path() / "run/corral.sock");
    dir.write("corral.toml", "[supervisor\nstate_dir = \"run\"\n");
    CHECK(find_state_dir(std::nullopt).path == fs::current_path() / ".corral");  // not TOML: beside the file

    const Lookup missing = find_socket(std::nullopt, fs::path("nowhere.toml"));
    CHECK_FALSE(missing.ok());
    CHECK(missing.file == fs::path("nowhere.toml"));
    REQUIRE(missing.errors.size() == 1);
    CHECK(missing.errors[0].to_string() == "nowhere.toml: cannot read the service file: No such file or directory");
}

TEST_CASE("socket path: the registry entry of the file's daemon comes before what the file says") {
    TempDir dir;
    WorkingDirectory cwd(dir.path());
    Env env(kSocketEnv, std::nullopt);
    Env runtime("CORRAL_RUNTIME_DIR", (dir / "runtime").string());
    dir.write("corral.toml", "[supervisor]\nstate_dir = \"now\"\n" + kService);
    REQUIRE(corral::registry::open_runtime_dir(dir / "runtime").ok());
    // An entry of this process: live for as long as the test runs.
    const auto entry = corral::registry::entry_of_this_daemon(dir / "before/corral.sock", dir / "corral.toml",
                                                              dir / "before");
    REQUIRE(corral::registry::write_entry(dir / "runtime", entry).ok());
    CHECK(find_socket(std::nullopt, std::nullopt).path == dir / "before/corral.sock");
    dir.make_dir("sub");
    CHECK(find_socket(std::nullopt, dir / "sub/../corral.toml").path == dir / "before/corral.sock");
    dir.write("other.toml", "[supervisor]\nstate_dir = \"other\"\n");
    CHECK(find_socket(std::nullopt, fs::path("other.toml")).path == fs::current_path() / "other/corral.sock");
}

TEST_CASE("socket path: paths outside the working directory are shown whole") {
    TempDir dir;
    dir.make_dir("sub");
    WorkingDirectory cwd(dir / "sub");
    CHECK(display_path(dir / "x.sock") == (dir / "x.sock").string());
    CHECK(display_path("relative.sock") == "relative.sock");
}
