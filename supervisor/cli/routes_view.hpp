#pragma once
// The IPC part of `corral status`, from the status result's "routes" and "channels" (ipc/broker.hpp):
//
//   ROUTE           TO        DELIVERED  RATE     QUEUED                           DROPPED
//   flood -> slow   slow#0    99393      22100/s  100607, 4.0MiB + 96.2MiB on disk  0
//   api -> worker   worker#0  1204       0/s      0                                0
//                   worker#1  1187       0/s      0                                0
//
//   flood#0: not read until its routes drain (queues full)
//   api#0: dropped 3 malformed, 1 unrouted
//
// A blocked destination says so after its queue, in red; drops are yellow. "" when there are no routes.
#include <string>

#include "supervisor/cli/view_text.hpp"

namespace corral::supervisor::cli {

std::string render_routes(const Json& routes, const Json& channels, const Style& style);

}  // namespace corral::supervisor::cli
