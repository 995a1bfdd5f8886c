// UdpRouting: the UDP routes of one config (IngressRouteUDP). An entrypoint
// uses the first route (snapshot order: by source name) that names it or
// names none; the others are never used there. Immutable after Build;
// shared by every worker.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "dataplane/config/config_error.h"
#include "dataplane/config/service_catalog.h"
#include "dataplane/l4/l4_metrics.h"
#include "dataplane/upstream/edf_schedule.h"
#include "portico/v1/snapshot.pb.h"

namespace portico::dataplane {

struct UdpAction {
  std::string route;                            // UdpRoute.name
  std::vector<std::string> entrypoints;         // empty: every UDP entrypoint
  std::vector<std::string> clusters;            // the backends with weight > 0, in schedule order
  std::vector<std::string> cluster_keys;        // "c/<cluster>" of each: endpoint cursors
  std::string cursor_key;                       // "u/<route>": the worker's WRR cursor
  std::shared_ptr<const EdfSchedule> schedule;  // null: no backend takes sessions
  L4RouteCounters* counters = nullptr;
};

class UdpRouting {
 public:
  bool Build(const v1::Snapshot& snapshot, const ServiceCatalog::ClusterMap& clusters,
             ConfigError* error);
  const UdpAction* For(std::string_view entrypoint) const;
  const std::vector<std::string>& clusters() const { return all_clusters_; }

 private:
  std::vector<UdpAction> actions_;
  std::vector<std::string> all_clusters_;
};

}  // namespace portico::dataplane
