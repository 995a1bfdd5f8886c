#include "dataplane/config/active_health.h"

namespace portico::dataplane {

std::vector<HealthTarget> HealthTargets(const RuntimeConfig& config) {
  std::vector<HealthTarget> targets;
  for (const ClusterHealthCheck& c : config.services().health_checks()) {
    for (const std::vector<Endpoint>* tier : {&c.cluster->ready, &c.cluster->terminating}) {
      for (const Endpoint& e : *tier) {
        targets.push_back({.service = c.cluster->name,
                           .endpoint = e.key,
                           .address = e.address,
                           .check = c.check});
      }
    }
  }
  return targets;
}

}  // namespace portico::dataplane
