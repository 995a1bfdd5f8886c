#include "dataplane/upstream/round_robin.h"

namespace portico::dataplane {

const Endpoint* RoundRobinPicker::Pick(const Cluster& cluster) {
  const std::vector<Endpoint>& endpoints = cluster.active();
  if (endpoints.empty()) return nullptr;
  uint64_t& next = next_[cluster.name];
  return &endpoints[next++ % endpoints.size()];
}

}  // namespace portico::dataplane
