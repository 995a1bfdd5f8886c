#include "controlplane/compiler/prune.h"

#include <absl/container/flat_hash_set.h>

#include <set>
#include <string_view>
#include <variant>

namespace portico::controlplane {

std::vector<BackendService> UsedServices(const std::vector<Route>& routes,
                                         std::map<std::string, BackendService>& compiled) {
  // Views into `routes` and `compiled`, which outlive both sets: no string
  // copied per route at 10 000 routes.
  absl::flat_hash_set<std::string_view> used;
  std::vector<std::string_view> pending;
  for (const Route& route : routes) {
    if (!route.service.empty()) pending.push_back(route.service);
  }
  while (!pending.empty()) {
    std::string_view name = pending.back();
    pending.pop_back();
    auto service = compiled.find(std::string(name));
    if (service == compiled.end() || !used.insert(service->first).second) continue;
    if (const auto* split = std::get_if<WeightedServices>(&service->second.kind)) {
      for (const WeightedChild& child : split->children) pending.push_back(child.service);
    } else if (const auto* mirror = std::get_if<MirroringService>(&service->second.kind)) {
      pending.push_back(mirror->main);
      for (const MirrorTarget& target : mirror->mirrors) pending.push_back(target.service);
    }
  }
  std::vector<BackendService> services;
  services.reserve(used.size());
  for (auto& [name, service] : compiled) {  // by name, as the snapshot lists them
    if (used.contains(name)) services.push_back(std::move(service));
  }
  return services;
}

std::vector<Cluster> UsedClusters(const CompileResult& result,
                                  std::map<std::string, Cluster> resolved) {
  absl::flat_hash_set<std::string_view> used;  // views into `result`
  for (const Route& route : result.routes) {
    if (!route.cluster.empty()) used.insert(route.cluster);
  }
  for (const TcpRoute& route : result.tcp_routes) {
    for (const L4Backend& backend : route.backends) used.insert(backend.cluster);
  }
  for (const UdpRoute& route : result.udp_routes) {
    for (const L4Backend& backend : route.backends) used.insert(backend.cluster);
  }
  const std::vector<BackendService>& services = result.services;
  for (const BackendService& service : services) {
    if (const auto* lb = std::get_if<LoadBalancedService>(&service.kind)) used.insert(lb->cluster);
  }
  std::vector<Cluster> clusters;
  clusters.reserve(used.size());
  for (auto& [name, cluster] : resolved) {
    if (used.contains(name)) clusters.push_back(std::move(cluster));
  }
  return clusters;
}

std::vector<Middleware> UsedMiddlewares(const std::vector<Route>& routes,
                                        std::map<std::string, Middleware>& compiled) {
  std::set<std::string> used;
  for (const Route& route : routes) used.insert(route.middlewares.begin(), route.middlewares.end());
  std::vector<Middleware> middlewares;
  for (const std::string& name : used) middlewares.push_back(std::move(compiled.at(name)));
  return middlewares;
}

std::vector<TcpMiddleware> UsedTcpMiddlewares(const std::vector<TcpRoute>& routes,
                                              std::map<std::string, TcpMiddleware>& compiled) {
  std::set<std::string> used;
  for (const TcpRoute& route : routes)
    used.insert(route.middlewares.begin(), route.middlewares.end());
  std::vector<TcpMiddleware> middlewares;
  for (const std::string& name : used) middlewares.push_back(std::move(compiled.at(name)));
  return middlewares;
}

std::vector<ServersTransportTcp> UsedTcpServersTransports(
    const std::vector<TcpRoute>& routes, std::map<std::string, ServersTransportTcp>& compiled) {
  std::set<std::string> used;
  for (const TcpRoute& route : routes) {
    for (const L4Backend& backend : route.backends) {
      if (!backend.servers_transport.empty()) used.insert(backend.servers_transport);
    }
  }
  std::vector<ServersTransportTcp> transports;
  for (const std::string& name : used) transports.push_back(std::move(compiled.at(name)));
  return transports;
}

std::vector<ServersTransport> UsedServersTransports(
    const std::vector<BackendService>& services,
    std::map<std::string, ServersTransport>& compiled) {
  std::set<std::string> used;
  for (const BackendService& service : services) {
    const auto* lb = std::get_if<LoadBalancedService>(&service.kind);
    if (lb != nullptr && !lb->servers_transport.empty()) used.insert(lb->servers_transport);
  }
  std::vector<ServersTransport> transports;
  for (const std::string& name : used) transports.push_back(std::move(compiled.at(name)));
  return transports;
}

}  // namespace portico::controlplane
