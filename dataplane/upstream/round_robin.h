// RoundRobinPicker: one per worker; spreads a worker's requests over a
// cluster's active endpoints in turn, and keeps this worker's passive health
// of every endpoint (outlier detection, on by default): an endpoint whose
// connections fail, or that answers 5xx, `consecutive_failures` times in a
// row is skipped for an ejection time that grows with each ejection, while
// at most `max_ejected_percent` of a cluster's endpoints are out at once.
// State is keyed by cluster name and endpoint identity, so a new snapshot
// restarts neither the rotation nor an ejection. Not thread-safe
// (worker-owned): each worker judges from the requests it proxies, and the
// worker shares every ejection with its siblings (Worker::ShareEjection).
#pragma once

#include <cstdint>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "dataplane/config/runtime_config.h"
#include "dataplane/upstream/passive_health.h"
#include "dataplane/worker/proxy_options.h"

namespace portico::dataplane {

class RoundRobinPicker {
 public:
  explicit RoundRobinPicker(PassiveHealthPolicy policy = {}) : policy_(policy) {}

  // Null when the cluster has no endpoint left. `now_ms` is loop time.
  const Endpoint* Pick(const Cluster& cluster, uint64_t now_ms = 0);

  // What came of a request sent to `endpoint` of `cluster`: a failure is a
  // connect failure, a reset or timeout before the response, or a 5xx.
  void ReportSuccess(const Cluster& cluster, const std::string& endpoint);
  // Returns the loop time until which the endpoint is now ejected, or 0 when
  // this failure did not eject it.
  uint64_t ReportFailure(const Cluster& cluster, const std::string& endpoint, uint64_t now_ms);
  // Applies an ejection another worker decided (loop times share one
  // monotonic clock); keeps the share cap of `cluster_size`.
  void ApplyEjection(const std::string& cluster, const std::string& endpoint, size_t cluster_size,
                     uint64_t until_ms, uint64_t now_ms);

  bool Ejected(const Cluster& cluster, const std::string& endpoint, uint64_t now_ms);
  uint64_t ejections_total() const { return ejections_total_; }

 private:
  struct ClusterState {
    uint64_t next = 0;
    int ejected = 0;  // endpoints with ejected_until != 0
    absl::flat_hash_map<std::string, EndpointHealth> endpoints;
  };
  PassiveHealthPolicy policy_;
  absl::flat_hash_map<std::string, ClusterState> clusters_;
  uint64_t ejections_total_ = 0;
};

}  // namespace portico::dataplane
