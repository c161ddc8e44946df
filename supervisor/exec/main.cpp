// corral-exec: the exec shim as its own small executable (shim.hpp), installed beside corral. The daemon
// runs it before every start of every service: `corral-exec --report-fd 4 --parent PID ... -- CMD ARGS...`.
#include "supervisor/exec/shim.hpp"

int main(int argc, char** argv) { return corral::exec::shim_main(argc, argv, 1); }
