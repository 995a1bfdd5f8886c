// ClusterResolver: turns an Ingress backend (Service + port) into a Cluster
// of endpoint addresses, resolving through the Service's EndpointSlices:
// the ready endpoints, or when none is ready the serving-but-terminating
// ones, flagged (TCP and UDP proxies skip those, l4.proto).
// Pure; one resolver per compile, used from one thread.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "controlplane/compiler/compile_result.h"
#include "controlplane/model/cluster_state.h"

namespace portico::controlplane {

struct ClusterResolution {
  std::string cluster;  // "" when the backend did not resolve
  std::string reason;   // set when cluster is "": BackendNotFound, PortNotFound, Unsupported
  std::string message;
  // The Service port is 443 or named "https": Ingress backends on it are
  // reached over TLS (Traefik's rule).
  bool https_port = false;
};

class ClusterResolver {
 public:
  explicit ClusterResolver(const ClusterState& state);

  // Resolves `backend` of an object in `namespace_name` to a Service port
  // of `protocol` ("TCP"; "UDP" for IngressRouteUDP); each cluster is built
  // once however many routes use it. A port number names the port of that
  // protocol (a Service may have 53/TCP and 53/UDP).
  ClusterResolution Resolve(const std::string& namespace_name, const IngressBackend& backend,
                            const std::string& protocol = "TCP");

  // Every cluster resolved so far, by name.
  const std::map<std::string, Cluster>& clusters() const { return clusters_; }
  // The resolved clusters, moved out (the resolver is done with).
  std::map<std::string, Cluster> TakeClusters() { return std::move(clusters_); }

  // Sets the endpoints of `cluster`, a cluster Resolve built from a state
  // with the same Services, to what Resolve would build from this state.
  // False (cluster untouched) when its Service or port is not found.
  bool RefreshEndpoints(Cluster* cluster) const;

 private:
  Cluster BuildCluster(const std::string& name, const Service& service,
                       const ServicePort& port) const;

  const ClusterState& state_;
  std::map<std::pair<std::string, std::string>, std::vector<const EndpointSlice*>> slices_;
  std::map<std::string, Cluster> clusters_;
};

}  // namespace portico::controlplane
