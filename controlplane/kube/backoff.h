// Backoff: the wait before retrying a failed list or watch, as client-go
// does it: starts at 0.8 s, doubles, capped at 30 s, each wait stretched by
// a random factor in [1, 2) (still capped) so that many clients do not retry
// in step; forgets past failures after 2 minutes without one. Seeded, so
// tests are repeatable. Not thread-safe.
#pragma once

#include <cstdint>
#include <random>

namespace portico::controlplane {

struct BackoffPolicy {
  uint64_t initial_ms = 800;
  uint64_t max_ms = 30'000;
  uint64_t reset_after_ms = 120'000;
};

class Backoff {
 public:
  explicit Backoff(BackoffPolicy policy, uint64_t seed = std::random_device{}())
      : policy_(policy), random_(seed) {}

  // The wait after a failure at `now_ms` (any monotonic millisecond clock).
  uint64_t Next(uint64_t now_ms);
  // Forget past failures (called when a list succeeds).
  void Reset() { step_ms_ = 0; }

 private:
  BackoffPolicy policy_;
  std::mt19937_64 random_;
  uint64_t step_ms_ = 0;  // 0: no failure remembered
  uint64_t last_failure_ms_ = 0;
};

}  // namespace portico::controlplane
