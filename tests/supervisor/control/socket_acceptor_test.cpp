// Accepting at the descriptor limit: this test process fills its own descriptor table (a soft limit just
// above what it holds, the rest taken by /dev/null), then clients connect. The reserve lets two of them in
// and keeps the rest for stop and kill; the third waits in the backlog, and is accepted once a descriptor
// is free again.
#include "supervisor/control/socket_acceptor.hpp"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <vector>

#include "base/fd_reserve.hpp"
#include "base/unique_fd.hpp"
#include "tests/support/sanitizers.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/uv_loop.hpp"

using namespace corral;
using namespace std::chrono_literals;

namespace {

sockaddr_un address_of(const std::filesystem::path& path) {
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path.c_str(), sizeof address.sun_path - 1);
    return address;
}

// The soft RLIMIT_NOFILE at the highest open descriptor + 1 and every free slot below it taken, for the
// guard's life; everything is given back (and the limit restored) on destruction.
class FullTable {
public:
    FullTable() {
        ::getrlimit(RLIMIT_NOFILE, &saved_);
        int highest = 0;
        for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
            highest = std::max(highest, std::stoi(entry.path().filename().string()));
        }
        const rlimit low{static_cast<rlim_t>(highest + 1), saved_.rlim_max};
        REQUIRE(::setrlimit(RLIMIT_NOFILE, &low) == 0);
        while (true) {
            UniqueFd fd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
            if (!fd) break;
            hogs.push_back(std::move(fd));
        }
        REQUIRE(errno == EMFILE);
    }
    ~FullTable() {
        hogs.clear();
        ::setrlimit(RLIMIT_NOFILE, &saved_);
    }
    std::vector<UniqueFd> hogs;

private:
    rlimit saved_{};
};

}  // namespace

TEST_CASE("socket acceptor: at the descriptor limit clients get in with the reserve, then wait in the backlog") {
    SKIP_OUT_OF_DESCRIPTORS_WHEN_SANITIZED();
    test::Loop loop;
    test::TempDir dir;
    const auto address = address_of(dir / "s");
    UniqueFd listener(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    REQUIRE(::bind(listener.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0);
    REQUIRE(::listen(listener.get(), 16) == 0);
    std::vector<UniqueFd> accepted;
    supervisor::SocketAcceptor acceptor(loop.get(), [&](int fd) { accepted.emplace_back(fd); });
    REQUIRE(acceptor.start(listener.get()) == 0);
    std::vector<UniqueFd> clients;
    for (int i = 0; i < 3; ++i) clients.emplace_back(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    const std::size_t reserve = supervisor::SocketAcceptor::kKeptForStop + 2;
    fd_reserve().fill(reserve);
    REQUIRE(fd_reserve().held() == reserve);
    {
        FullTable full;
        for (auto& client : clients) {
            REQUIRE(::connect(client.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0);
        }
        REQUIRE(test::run_until(loop.get(), [&] { return accepted.size() == 2; }, 2s));
        CHECK(fd_reserve().held() == supervisor::SocketAcceptor::kKeptForStop);
        CHECK_FALSE(test::run_until(loop.get(), [&] { return accepted.size() == 3; }, 500ms));

        full.hogs.pop_back();  // one descriptor free again: the waiting client gets in
        CHECK(test::run_until(loop.get(), [&] { return accepted.size() == 3; }, 2s));
    }
    accepted.clear();
    supervisor::SocketAcceptor::refill();
    CHECK(fd_reserve().held() == reserve);
    fd_reserve().fill(0);
    while (fd_reserve().release_one()) {
    }
    acceptor.close();
    CHECK(loop.close() == 0);
}
