#include "dataplane/l4/udp_routing.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace portico::dataplane {

bool UdpRouting::Build(const v1::Snapshot& snapshot, const ServiceCatalog::ClusterMap& clusters,
                       ConfigError* error) {
  for (const v1::UdpRoute& pr : snapshot.udp_routes()) {
    UdpAction action{.route = pr.name()};
    action.cursor_key = absl::StrCat("u/", pr.name());
    action.entrypoints.assign(pr.entrypoints().begin(), pr.entrypoints().end());
    std::vector<double> weights;
    for (const v1::L4Backend& pb : pr.backends()) {
      if (!clusters.contains(pb.cluster())) {
        return error->Blame(
            "udp_route", pr.name(),
            absl::StrCat("UDP route ", pr.name(), ": unknown cluster ", pb.cluster()));
      }
      if (pb.weight() > 1'000'000) {
        return error->Blame(
            "udp_route", pr.name(),
            absl::StrCat("UDP route ", pr.name(), ": weight ", pb.weight(), " > 1000000"));
      }
      all_clusters_.push_back(pb.cluster());
      if (pb.weight() == 0) continue;
      action.clusters.push_back(pb.cluster());
      action.cluster_keys.push_back(absl::StrCat("c/", pb.cluster()));
      weights.push_back(pb.weight());
    }
    if (!weights.empty()) action.schedule = std::make_shared<const EdfSchedule>(weights);
    action.counters = L4Metrics::Process().Route("udp", pr.name());
    actions_.push_back(std::move(action));
  }
  std::sort(all_clusters_.begin(), all_clusters_.end());
  all_clusters_.erase(std::unique(all_clusters_.begin(), all_clusters_.end()), all_clusters_.end());
  return true;
}

const UdpAction* UdpRouting::For(std::string_view entrypoint) const {
  for (const UdpAction& action : actions_) {
    if (action.entrypoints.empty() ||
        std::find(action.entrypoints.begin(), action.entrypoints.end(), entrypoint) !=
            action.entrypoints.end()) {
      return &action;
    }
  }
  return nullptr;
}

}  // namespace portico::dataplane
