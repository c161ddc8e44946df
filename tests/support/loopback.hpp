#pragma once
// Loopback ports for network tests (127.0.0.1 only).
#include <cstdint>

namespace corral::test {

// A port nobody listens on now: the kernel's pick for port 0 on 127.0.0.1, released again.
std::uint16_t free_loopback_port();

}  // namespace corral::test
