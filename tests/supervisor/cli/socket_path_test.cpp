// Finding the daemon's socket and state directory: --socket, -c FILE, $CORRAL_SOCKET, ./corral.toml,
// ./.corral; in a temporary working directory.
#include "supervisor/cli/socket_path.hpp"

#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdlib>
#include <optional>
#include <string>

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

TEST_CASE("socket path: an invalid or missing service file gives its errors") {
    TempDir dir;
    dir.write("corral.toml", "[supervisor]\nstate_dirr = \"run\"\n" + kService);
    WorkingDirectory cwd(dir.path());
    Env env(kSocketEnv, std::nullopt);
    const Lookup broken = find_socket(std::nullopt, std::nullopt);
    CHECK_FALSE(broken.ok());
    CHECK(broken.path.empty());
    REQUIRE(broken.errors.size() == 1);
    CHECK(broken.errors[0].to_string().rfind("corral.toml:2:1: unknown key \"state_dirr\"", 0) == 0);
    CHECK_FALSE(find_state_dir(std::nullopt).ok());

    const Lookup missing = find_socket(std::nullopt, fs::path("nowhere.toml"));
    CHECK_FALSE(missing.ok());
    CHECK(missing.file == fs::path("nowhere.toml"));
}

TEST_CASE("socket path: paths outside the working directory are shown whole") {
    TempDir dir;
    dir.make_dir("sub");
    WorkingDirectory cwd(dir / "sub");
    CHECK(display_path(dir / "x.sock") == (dir / "x.sock").string());
    CHECK(display_path("relative.sock") == "relative.sock");
}
