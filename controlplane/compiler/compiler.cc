#include "controlplane/compiler/compiler.h"

#include <algorithm>
#include <array>
#include <numeric>
#include <set>
#include <tuple>
#include <variant>

#include "controlplane/compiler/compile_context.h"
#include "controlplane/compiler/ingress_processor.h"
#include "controlplane/compiler/ingress_route_processor.h"
#include "controlplane/compiler/l4_route_processor.h"
#include "controlplane/compiler/tls_processor.h"

namespace portico::controlplane {
namespace {

using Processor = void (*)(const ClusterState&, CompileContext*);

// The documented processor order (compiler.h).
constexpr std::array<Processor, 5> kProcessors = {&RunIngressProcessor, &RunIngressRouteProcessor,
                                                  &RunIngressRouteTcpProcessor,
                                                  &RunIngressRouteUdpProcessor, &RunTlsProcessor};

// Steps 2 of the match order: rule routes (IngressRoute, IngressRouteTCP)
// have no host or path of their own and tie there.
int HostClass(const Route& route) {
  if (route.host.empty()) return 2;
  return route.host.starts_with("*.") ? 1 : 0;
}
int HostClass(const TcpRoute&) { return 2; }
int PathClass(const Route& route) { return route.kind == PathKind::kExact ? 0 : 1; }
int PathClass(const TcpRoute&) { return 1; }

// The one match order of every route, HTTP and TCP (compiler.h).
template <typename Candidate>
bool MatchOrder(const Candidate& a, const Candidate& b) {
  auto key = [](const Candidate& c) {
    return std::make_tuple(-c.route.priority, HostClass(c.route), PathClass(c.route),
                           std::cref(c.precedence));
  };
  return key(a) < key(b);
}

std::string RuleBytes(const Route& r) {
  return r.match.tree == nullptr ? std::string() : r.match.tree->SerializeAsString();
}

std::string Describe(PathKind kind, const std::string& path) {
  return std::string(kind == PathKind::kExact ? "Exact " : "Prefix ") + path;
}

// The indexes of the candidates that win: the first of every (host, kind,
// path, rule) in precedence order; the others are reported as conflicts.
// Candidates are sorted by index, with each one's rule serialized once:
// the routes themselves (large) are never moved here.
std::vector<size_t> SettleConflicts(const std::vector<RouteCandidate>& candidates,
                                    std::vector<Diagnostic>* diagnostics) {
  std::vector<std::string> rules(candidates.size());
  for (size_t i = 0; i < candidates.size(); ++i) rules[i] = RuleBytes(candidates[i].route);
  // Routes with equal rules, or equal host, kind and path, claim the same
  // requests (a TLS route and a plaintext one never do).
  auto match_key = [&](size_t i) {
    const Route& r = candidates[i].route;
    return std::make_tuple(std::cref(r.host), r.kind, std::cref(r.path), r.tls, std::cref(rules[i]),
                           std::cref(r.entrypoints));
  };
  std::vector<size_t> order(candidates.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    auto key_a = match_key(a);
    auto key_b = match_key(b);
    if (key_a != key_b) return key_a < key_b;
    return candidates[a].precedence < candidates[b].precedence;
  });
  std::vector<size_t> winners;
  winners.reserve(order.size());
  for (size_t i : order) {
    if (!winners.empty() && match_key(winners.back()) == match_key(i)) {
      const Route& loser = candidates[i].route;
      const Route& winner = candidates[winners.back()].route;
      std::string what = loser.match.tree != nullptr ? std::string("the same rule")
                         : loser.host.empty()
                             ? "any host, " + Describe(loser.kind, loser.path)
                             : "host " + loser.host + ", " + Describe(loser.kind, loser.path);
      diagnostics->push_back({loser.source, "Conflict",
                              "route " + loser.name + " (" + what +
                                  ") is already claimed by route " + winner.name + " of " +
                                  winner.source + "; dropped"});
      continue;
    }
    winners.push_back(i);
  }
  return winners;
}

// The services the routes use, children included, sorted by name.
// Moves them out of `compiled`.
std::vector<BackendService> UsedServices(const std::vector<Route>& routes,
                                         std::map<std::string, BackendService>& compiled) {
  std::set<std::string> used;
  std::vector<std::string> pending;
  for (const Route& route : routes) {
    if (!route.service.empty()) pending.push_back(route.service);
  }
  while (!pending.empty()) {
    std::string name = std::move(pending.back());
    pending.pop_back();
    auto service = compiled.find(name);
    if (service == compiled.end() || !used.insert(name).second) continue;
    if (const auto* split = std::get_if<WeightedServices>(&service->second.kind)) {
      for (const WeightedChild& child : split->children) pending.push_back(child.service);
    } else if (const auto* mirror = std::get_if<MirroringService>(&service->second.kind)) {
      pending.push_back(mirror->main);
      for (const MirrorTarget& target : mirror->mirrors) pending.push_back(target.service);
    }
  }
  std::vector<BackendService> services;
  services.reserve(used.size());
  for (const std::string& name : used) services.push_back(std::move(compiled.at(name)));
  return services;
}

std::vector<Cluster> UsedClusters(const CompileResult& result,
                                  std::map<std::string, Cluster> resolved) {
  std::set<std::string> used;
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

// The MiddlewareTCPs and ServersTransportTCPs the TCP routes name, sorted
// by name.
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

// The ServersTransports the services name, sorted by name.
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

// An upper bound of the HTTP route candidates `state` gives, so that the
// candidate list (large elements) is allocated once.
size_t CandidateBound(const ClusterState& state) {
  size_t bound = 0;
  for (const auto& [key, ingress] : state.ingresses) {
    bound += ingress.default_backend ? 1 : 0;
    for (const IngressRule& rule : ingress.rules) bound += rule.paths.size();
  }
  for (const auto& [key, route] : state.crds.ingress_routes) bound += route.spec.routes.size();
  return bound;
}

}  // namespace

CompileResult Compile(const ClusterState& state, const CompileOptions& options) {
  CompileContext context(state, options);
  context.candidates().reserve(CandidateBound(state));
  for (Processor processor : kProcessors) processor(state, &context);
  CompileResult result;
  result.diagnostics = std::move(context.diagnostics());
  std::vector<RouteCandidate>& candidates = context.candidates();
  std::vector<size_t> winners = SettleConflicts(candidates, &result.diagnostics);
  std::sort(winners.begin(), winners.end(),
            [&](size_t a, size_t b) { return MatchOrder(candidates[a], candidates[b]); });
  result.routes.reserve(winners.size());
  for (size_t winner : winners) result.routes.push_back(std::move(candidates[winner].route));
  result.services = UsedServices(result.routes, context.services());
  std::vector<TcpRouteCandidate>& tcp = context.tcp_candidates();
  std::sort(tcp.begin(), tcp.end(), MatchOrder<TcpRouteCandidate>);
  for (TcpRouteCandidate& candidate : tcp) result.tcp_routes.push_back(std::move(candidate.route));
  result.udp_routes = std::move(context.udp_routes());
  result.clusters = UsedClusters(result, context.resolver().TakeClusters());
  result.middlewares = UsedMiddlewares(result.routes, context.middlewares());
  result.servers_transports = UsedServersTransports(result.services, context.servers_transports());
  result.tcp_middlewares = UsedTcpMiddlewares(result.tcp_routes, context.tcp_middlewares());
  result.tcp_servers_transports =
      UsedTcpServersTransports(result.tcp_routes, context.tcp_servers_transports());
  result.certificates = std::move(context.certificates());
  result.tls_options = std::move(context.tls_options());
  result.default_certificate = std::move(context.default_certificate());
  result.valid_until = context.valid_until();
  std::stable_sort(result.diagnostics.begin(), result.diagnostics.end(),
                   [](const Diagnostic& a, const Diagnostic& b) {
                     return std::tie(a.object, a.message) < std::tie(b.object, b.message);
                   });
  return result;
}

}  // namespace portico::controlplane
