// RequestCounters: responses by status code for one entrypoint of one worker,
// and the connections it refused for the entrypoint's connection limit.
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
  void CountRefusedConnection() { refused_connections_.fetch_add(1, std::memory_order_relaxed); }
  uint64_t refused_connections() const {
    return refused_connections_.load(std::memory_order_relaxed);
  }

 private:
  std::atomic<uint64_t> refused_connections_{0};
  std::array<std::atomic<uint64_t>, kMaxStatus> by_status_{};
};

// Open client connections of one entrypoint, all workers together: the
// workers add and subtract, the admin thread reads.
struct ConnectionGauge {
  std::atomic<int> open{0};
};

}  // namespace portico::dataplane
