#include "dataplane/upstream/round_robin.h"

namespace portico::dataplane {

const Endpoint* RoundRobinPicker::Pick(const Cluster& cluster, uint64_t now_ms) {
  const std::vector<Endpoint>& endpoints = cluster.active();
  if (endpoints.empty()) return nullptr;
  ClusterState& state = clusters_[cluster.name];
  if (state.ejected == 0) return &endpoints[state.next++ % endpoints.size()];
  // Some endpoint is out: the next one in turn that is not.
  for (size_t tried = 0; tried < endpoints.size(); ++tried) {
    const Endpoint& candidate = endpoints[state.next++ % endpoints.size()];
    auto it = state.endpoints.find(candidate.key);
    if (it == state.endpoints.end() || !StillEjected(it->second, state.ejected, now_ms)) {
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
  uint64_t until = RecordFailure(policy_, state.endpoints[endpoint], state.ejected,
                                 cluster.active().size(), now_ms);
  if (until != 0) ++ejections_total_;
  return until;
}

void RoundRobinPicker::ApplyEjection(const std::string& cluster, const std::string& endpoint,
                                     size_t cluster_size, uint64_t until_ms, uint64_t now_ms) {
  if (policy_.consecutive_failures == 0 || until_ms <= now_ms) return;
  ClusterState& state = clusters_[cluster];
  RecordEjection(policy_, state.endpoints[endpoint], state.ejected, cluster_size, until_ms, now_ms);
}

bool RoundRobinPicker::Ejected(const Cluster& cluster, const std::string& endpoint,
                               uint64_t now_ms) {
  auto c = clusters_.find(cluster.name);
  if (c == clusters_.end()) return false;
  auto e = c->second.endpoints.find(endpoint);
  return e != c->second.endpoints.end() && StillEjected(e->second, c->second.ejected, now_ms);
}

}  // namespace portico::dataplane
