// ServiceCompiler: turns the services of IngressRoute routes, and the
// WeightedServices they name, into Portico's BackendService model (load-balanced
// clusters, weighted splits, mirrors) in CompileContext::services(). Each
// WeightedService is compiled once, with cycle and nesting checks, and its
// problems are reported on it; a route that uses a broken one answers 503.
// One instance per compile, used from one thread.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "controlplane/compiler/compile_context.h"
#include "controlplane/compiler/servers_transport_compiler.h"
#include "controlplane/model/cluster_state.h"

namespace portico::controlplane {

// Why a service could not be compiled: a diagnostic reason, the field it is
// about relative to the reference (".strategy", "" for the reference) and
// a message.
struct ServiceProblem {
  std::string reason;
  std::string field;
  std::string message;
};

// nativeLB / nodePortLB on a service reference (HTTP, TCP, UDP): the proxy
// balances over the EndpointSlices' pod addresses only, so either is
// refused (*problem set, true) rather than silently ignored.
template <typename Ref>
bool RefusesServiceAddress(const Ref& ref, ServiceProblem* problem) {
  if (!ref.native_lb.value_or(false) && !ref.node_port_lb) return false;
  *problem = {"Unsupported", ref.node_port_lb ? ".nodePortLB" : ".nativeLB",
              "balancing over the Service's cluster IP or node ports is not supported"};
  return true;
}

class ServiceCompiler {
 public:
  // WeightedServices nest at most this deep (a WeightedService of plain
  // Services has depth 1).
  static constexpr int kMaxDepth = 8;

  ServiceCompiler(const ClusterState& state, CompileContext* context)
      : state_(state), context_(context), transports_(state, context) {}

  // Compiles every WeightedService in name order, so that each one's
  // problems are reported once and the same whatever uses it.
  void CompileWeightedServices();

  // The BackendService route `index` of `route` sends to, "" after *problem says
  // why (the route then answers 503). `field` is relative to the route.
  std::string CompileRoute(const crd::IngressRoute& route, size_t index, ServiceProblem* problem);

 private:
  struct Compiled {
    bool done = false;  // false while being compiled (a cycle if met again)
    std::string name;   // "" when it failed
    int depth = 0;
    ServiceProblem problem;
  };

  std::string Reference(const crd::ServiceRef& ref, const std::string& owner_namespace,
                        const std::string& name, int* depth, ServiceProblem* problem);
  std::string Weighted(const ObjectKey& key, int* depth, ServiceProblem* problem);
  std::string WeightedBody(const crd::WeightedService& object, const std::string& name, int* depth,
                           ServiceProblem* problem);
  std::string LoadBalanced(const crd::ServiceRef& ref, const std::string& service_namespace,
                           const std::string& name, ServiceProblem* problem);
  void Add(std::string name, BackendService service);

  const ClusterState& state_;
  CompileContext* context_;
  ServersTransportCompiler transports_;
  std::map<ObjectKey, Compiled> weighted_;
  std::vector<ObjectKey> stack_;  // WeightedServices being compiled, outermost first
};

}  // namespace portico::controlplane
