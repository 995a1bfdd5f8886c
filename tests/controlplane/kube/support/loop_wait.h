// RunUntil: runs a libuv loop until a condition holds, with a deadline, so
// loop tests wait for what they check and never for a fixed time.
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>

namespace portico::controlplane::testing {

// Runs `loop` until `done()` holds (checked every millisecond) or
// `timeout_ms` passed. True when `done()` held.
bool RunUntil(uv_loop_t* loop, const std::function<bool()>& done, uint64_t timeout_ms = 10'000);

}  // namespace portico::controlplane::testing
