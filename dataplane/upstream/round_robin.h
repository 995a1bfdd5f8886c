// RoundRobinPicker: one per worker; spreads a worker's requests over a
// cluster's active endpoints in turn. State is keyed by cluster name, so a
// new snapshot does not restart the rotation. Not thread-safe (worker-owned).
#pragma once

#include <cstdint>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "dataplane/config/runtime_config.h"

namespace portico::dataplane {

class RoundRobinPicker {
 public:
  // Null when the cluster has no endpoint left.
  const Endpoint* Pick(const Cluster& cluster);

 private:
  absl::flat_hash_map<std::string, uint64_t> next_;
};

}  // namespace portico::dataplane
