#include "dataplane/upstream/passive_health.h"

#include <algorithm>

namespace portico::dataplane {
namespace {

bool ShareCapReached(const PassiveHealthPolicy& policy, int ejected, size_t cluster_size) {
  size_t size = std::max(cluster_size, size_t{1});
  return static_cast<size_t>(ejected + 1) * 100 >
         size * static_cast<size_t>(policy.max_ejected_percent);
}

}  // namespace

bool StillEjected(EndpointHealth& health, int& ejected, uint64_t now_ms) {
  if (health.ejected_until == 0) return false;
  if (now_ms < health.ejected_until) return true;
  health.ejected_until = 0;  // back in rotation; one more failure run ejects it again
  health.consecutive_failures = 0;
  --ejected;
  return false;
}

uint64_t RecordFailure(const PassiveHealthPolicy& policy, EndpointHealth& health, int& ejected,
                       size_t cluster_size, uint64_t now_ms) {
  if (policy.consecutive_failures == 0) return 0;
  if (StillEjected(health, ejected, now_ms)) return 0;
  if (policy.failure_window_ms != 0 && health.consecutive_failures != 0 &&
      now_ms - health.first_failure_ms >= policy.failure_window_ms) {
    health.consecutive_failures = 0;  // the run left its window: this failure starts a new one
  }
  if (health.consecutive_failures == 0) health.first_failure_ms = now_ms;
  if (++health.consecutive_failures < policy.consecutive_failures) return 0;
  if (ShareCapReached(policy, ejected, cluster_size)) return 0;  // keep it in rotation
  ++health.ejections;
  uint64_t duration = std::min(policy.base_ejection_ms * static_cast<uint64_t>(health.ejections),
                               policy.max_ejection_ms);
  health.ejected_until = std::max<uint64_t>(now_ms + duration, 1);
  health.consecutive_failures = 0;
  ++ejected;
  return health.ejected_until;
}

bool RecordEjection(const PassiveHealthPolicy& policy, EndpointHealth& health, int& ejected,
                    size_t cluster_size, uint64_t until_ms, uint64_t now_ms) {
  if (policy.consecutive_failures == 0 || until_ms <= now_ms) return false;
  if (StillEjected(health, ejected, now_ms)) {
    health.ejected_until = std::max(health.ejected_until, until_ms);
    return false;
  }
  if (ShareCapReached(policy, ejected, cluster_size)) return false;
  ++health.ejections;
  health.ejected_until = until_ms;
  health.consecutive_failures = 0;
  ++ejected;
  return true;
}

}  // namespace portico::dataplane
