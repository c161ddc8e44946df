#include "ipc/channel_socket.hpp"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

using corral::ipc::instance_send_buffer;
using corral::ipc::kInstanceSendBuffer;
using corral::ipc::make_channel_socket;

TEST_CASE("channel socket: a connected close-on-exec stream pair whose instance end has a wide send buffer") {
    auto socket = make_channel_socket();
    REQUIRE(socket);
    for (const int fd : {socket->ours.get(), socket->theirs.get()}) {
        CHECK((::fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);
        int type = 0;
        socklen_t length = sizeof type;
        REQUIRE(::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &length) == 0);
        CHECK(type == SOCK_STREAM);
    }
    int granted = 0;
    socklen_t length = sizeof granted;
    REQUIRE(::getsockopt(socket->theirs.get(), SOL_SOCKET, SO_SNDBUF, &granted, &length) == 0);
    CHECK(socket->their_send_buffer == static_cast<std::size_t>(granted));
    CHECK(socket->their_send_buffer > 0);

    // What the instance writes, the daemon reads.
    REQUIRE(::write(socket->theirs.get(), "{}\n", 3) == 3);
    char text[4] = {};
    CHECK(::read(socket->ours.get(), text, sizeof text) == 3);
    CHECK(std::string_view(text, 3) == "{}\n");
}

TEST_CASE("channel socket: a service with a memory limit gets at most an eighth of it as its send buffer") {
    CHECK(instance_send_buffer(std::nullopt) == kInstanceSendBuffer);
    CHECK(instance_send_buffer(std::uint64_t{1} << 30) == kInstanceSendBuffer);   // 1 GiB: the full 64 MiB
    CHECK(instance_send_buffer(std::uint64_t{256} << 20) == 16 << 20);            // 256 MiB: 32 MiB charged
    CHECK(instance_send_buffer(std::uint64_t{16} << 20) == 1 << 20);              // 16 MiB: the floor
    CHECK(instance_send_buffer(std::uint64_t{4} << 20) == 1 << 20);
    if (::geteuid() != 0) return;  // SO_SNDBUFFORCE: as root the kernel gives twice what is asked
    auto wide = make_channel_socket();
    auto narrow = make_channel_socket(instance_send_buffer(std::uint64_t{256} << 20));
    REQUIRE(wide);
    REQUIRE(narrow);
    CHECK(wide->their_send_buffer == 2 * static_cast<std::size_t>(kInstanceSendBuffer));
    CHECK(narrow->their_send_buffer == std::size_t{32} << 20);
}
