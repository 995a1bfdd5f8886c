// RequestCounters: responses by status code for one entrypoint of one worker.
// Only the owning worker increments (relaxed atomics, no contention); the
// admin thread reads and sums them.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

namespace portico::dataplane {

class RequestCounters {
 public:
  static constexpr int kMaxStatus = 600;

  void Count(int status) {
    if (status < 100 || status >= kMaxStatus) status = 0;
    by_status_[static_cast<size_t>(status)].fetch_add(1, std::memory_order_relaxed);
  }
  uint64_t Get(int status) const {
    return by_status_[static_cast<size_t>(status)].load(std::memory_order_relaxed);
  }

 private:
  std::array<std::atomic<uint64_t>, kMaxStatus> by_status_{};
};

}  // namespace portico::dataplane
