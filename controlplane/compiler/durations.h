// Durations as the snapshot carries them: whole milliseconds.
#pragma once

#include <chrono>
#include <cstdint>

namespace portico::controlplane {

// Rounded up, so that a short positive duration never reads as 0 (which
// the snapshot uses for "the proxy's default"); negative gives 0.
inline uint64_t Milliseconds(std::chrono::nanoseconds duration) {
  auto ms = std::chrono::ceil<std::chrono::milliseconds>(duration).count();
  return ms < 0 ? 0 : static_cast<uint64_t>(ms);
}

}  // namespace portico::controlplane
