#include "dataplane/upstream/round_robin.h"

#include <algorithm>

namespace portico::dataplane {

bool RoundRobinPicker::StillEjected(ClusterState& state, EndpointHealth& health,
                                    uint64_t now_ms) {
  if (health.ejected_until == 0) return false;
  if (now_ms < health.ejected_until) return true;
  health.ejected_until = 0;  // back in rotation; one more failure run ejects it again
  health.consecutive_failures = 0;
  --state.ejected;
  return false;
}

const Endpoint* RoundRobinPicker::Pick(const Cluster& cluster, uint64_t now_ms) {
  const std::vector<Endpoint>& endpoints = cluster.active();
  if (endpoints.empty()) return nullptr;
  ClusterState& state = clusters_[cluster.name];
  if (state.ejected == 0) return &endpoints[state.next++ % endpoints.size()];
  // Some endpoint is out: the next one in turn that is not.
  for (size_t tried = 0; tried < endpoints.size(); ++tried) {
    const Endpoint& candidate = endpoints[state.next++ % endpoints.size()];
    auto it = state.endpoints.find(candidate.key);
    if (it == state.endpoints.end() || !StillEjected(state, it->second, now_ms)) {
      return &candidate;
    }
  }
  // Everything is ejected (the share cap counts a cluster as it was): better
  // to try than to refuse.
  return &endpoints[state.next++ % endpoints.size()];
}

void RoundRobinPicker::ReportSuccess(const Cluster& cluster, const std::string& endpoint) {
  if (policy_.consecutive_failures == 0) return;
  auto c = clusters_.find(cluster.name);
  if (c == clusters_.end()) return;
  auto e = c->second.endpoints.find(endpoint);
  if (e == c->second.endpoints.end()) return;
  // Healthy again: forget it (entries exist only for endpoints that failed).
  if (e->second.ejected_until == 0) c->second.endpoints.erase(e);
}

uint64_t RoundRobinPicker::ReportFailure(const Cluster& cluster, const std::string& endpoint,
                                         uint64_t now_ms) {
  if (policy_.consecutive_failures == 0) return 0;
  ClusterState& state = clusters_[cluster.name];
  EndpointHealth& health = state.endpoints[endpoint];
  if (StillEjected(state, health, now_ms)) return 0;
  if (++health.consecutive_failures < policy_.consecutive_failures) return 0;
  size_t size = std::max(cluster.active().size(), size_t{1});
  if (static_cast<size_t>(state.ejected + 1) * 100 >
      size * static_cast<size_t>(policy_.max_ejected_percent)) {
    return 0;  // too many out already: keep it in rotation
  }
  ++health.ejections;
  uint64_t duration = std::min(policy_.base_ejection_ms * static_cast<uint64_t>(health.ejections),
                               policy_.max_ejection_ms);
  health.ejected_until = std::max<uint64_t>(now_ms + duration, 1);
  health.consecutive_failures = 0;
  ++state.ejected;
  ++ejections_total_;
  return health.ejected_until;
}

void RoundRobinPicker::ApplyEjection(const std::string& cluster, const std::string& endpoint,
                                     size_t cluster_size, uint64_t until_ms, uint64_t now_ms) {
  if (policy_.consecutive_failures == 0 || until_ms <= now_ms) return;
  ClusterState& state = clusters_[cluster];
  EndpointHealth& health = state.endpoints[endpoint];
  if (StillEjected(state, health, now_ms)) {
    health.ejected_until = std::max(health.ejected_until, until_ms);
    return;
  }
  size_t size = std::max(cluster_size, size_t{1});
  if (static_cast<size_t>(state.ejected + 1) * 100 >
      size * static_cast<size_t>(policy_.max_ejected_percent)) {
    return;
  }
  ++health.ejections;
  health.ejected_until = until_ms;
  health.consecutive_failures = 0;
  ++state.ejected;
}

bool RoundRobinPicker::Ejected(const Cluster& cluster, const std::string& endpoint,
                               uint64_t now_ms) {
  auto c = clusters_.find(cluster.name);
  if (c == clusters_.end()) return false;
  auto e = c->second.endpoints.find(endpoint);
  return e != c->second.endpoints.end() && StillEjected(c->second, e->second, now_ms);
}

}  // namespace portico::dataplane
