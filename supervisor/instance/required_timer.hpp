#pragma once
// A timer that an instance cannot do without: without it an instance could neither restart nor stop
// safely, nor conclude a death, so failing to make one (libuv fails only when out of memory) aborts.
// Ownership: the returned UvHandle owns the timer; `data` is set to the object its trampoline calls.
#include <uv.h>

#include <string>

#include "base/uv_handle.hpp"

namespace corral::supervisor {

// `instance` names the instance in the log line ("api#0").
UvHandle<uv_timer_t> required_timer(uv_loop_t* loop, const std::string& instance, void* data);

}  // namespace corral::supervisor
