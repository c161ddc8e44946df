// This test binary re-runs itself as the exec shim (STYLE.md: the test binary is its own child), so the
// Incarnation tests spawn exactly what the daemon spawns, `<exe> __exec ... -- program`, with no other
// binary built first. tests/main.cpp calls this before doctest sees argv.
#include <cstring>

#include "supervisor/instance/exec_shim.hpp"

int corral_test_child_main(int argc, char** argv) {
    if (argc > 1 && std::strcmp(argv[1], corral::supervisor::kExecShimCommand) == 0) {
        return corral::supervisor::exec_shim_main(argc, argv);
    }
    return -1;
}
