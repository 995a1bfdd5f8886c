// ServiceCatalog: the snapshot's services turned into shared picking state
// (PickerFactory), by name: load-balanced services over a cluster, weighted
// splits and mirrors of other services (nested, built children first), and
// a default weighted-round-robin service per cluster for the routes that
// name a cluster only (Ingress). Services with scheme https carry the
// UpstreamTlsContext of their ServersTransport (or of the default one:
// verification against the system trust store). Also what the proxy cannot
// serve (a scheme it does not speak, a transport it cannot apply) and the
// active health checks to run. Built once per RuntimeConfig, off the worker
// loops; immutable after.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "dataplane/tls/upstream_tls.h"
#include "dataplane/upstream/picker_factory.h"
#include "portico/v1/snapshot.pb.h"

namespace portico::dataplane {

struct Cluster;

// One cluster's active health check (the first service over the cluster
// that configures one decides; the others are reported).
struct ClusterHealthCheck {
  const Cluster* cluster = nullptr;
  v1::HealthCheck check;
};

class ServiceCatalog {
 public:
  // Clusters are shared between configs when an endpoint-only change left
  // them as they were.
  using ClusterMap = absl::flat_hash_map<std::string, std::shared_ptr<const Cluster>>;

  // False with *error naming the service when a reference does not
  // resolve, services form a cycle or nest too deep, or a value is invalid.
  // `previous` (the catalog being replaced, may be null) lends unchanged
  // EDF sequences and Maglev tables. With `changed_clusters` (an
  // endpoint-only change: the services are those of `previous`, and every
  // other cluster is the very object `previous` used), the factories over
  // unchanged clusters are `previous`'s own.
  bool Build(const v1::Snapshot& snapshot, const ClusterMap& clusters,
             const ServiceCatalog* previous, std::string* error,
             const absl::flat_hash_set<std::string>* changed_clusters = nullptr);

  // Null when unknown.
  std::shared_ptr<const PickerFactory> Service(const std::string& name) const;
  // The default service of a cluster (weighted round robin, the cluster's
  // own name). Null when the cluster is unknown.
  std::shared_ptr<const PickerFactory> ForCluster(const std::string& cluster) const;

  // Why requests to `service` cannot be served by this proxy ("" when they
  // can): a scheme it does not speak or a ServersTransport it cannot
  // apply, here or in a nested service.
  const std::string& Unsupported(const std::string& service) const;

  // After a failed Build: the top-level service whose build failed ("" when
  // the failure is not one service's).
  const std::string& blamed() const { return blamed_; }

  const std::vector<ClusterHealthCheck>& health_checks() const { return health_checks_; }
  // Messages about settings that were not applied (for the apply log).
  const std::vector<std::string>& warnings() const { return warnings_; }
  size_t size() const { return services_.size(); }

 private:
  struct Entry {
    std::shared_ptr<const PickerFactory> factory;
    std::string unsupported;
  };
  struct Transport {
    std::string fingerprint;  // the snapshot message's bytes ("" for the default)
    std::shared_ptr<const UpstreamTlsContext> context;  // null when it cannot be applied
    std::string error;
  };
  const Transport* BuildTransport(const std::string& name, const v1::ServersTransport* spec);
  const Transport* TransportFor(const std::string& name);
  const Entry* BuildOne(const std::string& name, int depth, std::string* error);
  const Entry* BuildLoadBalanced(const v1::Service& service, std::string* error);
  const Entry* BuildWeighted(const v1::Service& service, int depth, std::string* error);
  const Entry* BuildMirroring(const v1::Service& service, int depth, std::string* error);

  const ClusterMap* clusters_ = nullptr;
  const ServiceCatalog* previous_ = nullptr;
  const absl::flat_hash_set<std::string>* changed_ = nullptr;  // during Build only
  absl::flat_hash_map<std::string, const v1::Service*> specs_;  // during Build only
  absl::flat_hash_map<std::string, bool> building_;             // cycle detection
  absl::flat_hash_map<std::string, Entry> services_;
  absl::flat_hash_map<std::string, Transport> transports_;  // by name; "": the default
  absl::flat_hash_map<std::string, std::shared_ptr<const PickerFactory>> cluster_defaults_;
  std::vector<ClusterHealthCheck> health_checks_;
  std::vector<std::string> warnings_;
  std::string blamed_;
};

}  // namespace portico::dataplane
