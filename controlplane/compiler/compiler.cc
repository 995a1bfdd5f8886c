#include "controlplane/compiler/compiler.h"

#include <algorithm>
#include <array>
#include <set>
#include <tuple>

#include "controlplane/compiler/compile_context.h"
#include "controlplane/compiler/ingress_processor.h"
#include "controlplane/compiler/tls_processor.h"

namespace portico::controlplane {
namespace {

using Processor = void (*)(const ClusterState&, CompileContext*);

// The documented processor order; later processors (IngressRoute, ...) are
// appended here.
constexpr std::array<Processor, 2> kProcessors = {&RunIngressProcessor, &RunTlsProcessor};

int HostClass(const std::string& host) {
  if (host.empty()) return 2;
  return host.starts_with("*.") ? 1 : 0;
}

bool RouteMatchOrder(const Route& a, const Route& b) {
  auto key = [](const Route& r) {
    return std::make_tuple(HostClass(r.host), std::cref(r.host), -static_cast<long>(r.path.size()),
                           r.kind == PathKind::kExact ? 0 : 1, std::cref(r.name));
  };
  return key(a) < key(b);
}

std::string Describe(PathKind kind, const std::string& path) {
  return std::string(kind == PathKind::kExact ? "Exact " : "Prefix ") + path;
}

// Keeps the first candidate of every (host, kind, path) in precedence order.
std::vector<Route> SettleConflicts(std::vector<RouteCandidate>& candidates,
                                   std::vector<Diagnostic>* diagnostics) {
  auto match_key = [](const Route& r) { return std::tie(r.host, r.kind, r.path, r.tls); };
  std::sort(candidates.begin(), candidates.end(),
            [&](const RouteCandidate& a, const RouteCandidate& b) {
              if (match_key(a.route) != match_key(b.route)) {
                return match_key(a.route) < match_key(b.route);
              }
              return a.precedence < b.precedence;
            });
  std::vector<Route> routes;
  for (RouteCandidate& c : candidates) {
    if (!routes.empty() && match_key(routes.back()) == match_key(c.route)) {
      const Route& winner = routes.back();
      std::string host = c.route.host.empty() ? "any host" : "host " + c.route.host;
      diagnostics->push_back({c.route.source, "Conflict",
                              "route " + c.route.name + " (" + host + ", " +
                                  Describe(c.route.kind, c.route.path) +
                                  ") is already claimed by route " + winner.name + " of " +
                                  winner.source + "; dropped"});
      continue;
    }
    routes.push_back(std::move(c.route));
  }
  return routes;
}

std::vector<Cluster> UsedClusters(const std::vector<Route>& routes,
                                  const std::map<std::string, Cluster>& resolved) {
  std::set<std::string> used;
  for (const Route& route : routes) {
    if (!route.cluster.empty()) used.insert(route.cluster);
  }
  std::vector<Cluster> clusters;
  for (const auto& [name, cluster] : resolved) {
    if (used.contains(name)) clusters.push_back(cluster);
  }
  return clusters;
}

}  // namespace

CompileResult Compile(const ClusterState& state) {
  CompileContext context(state);
  for (Processor processor : kProcessors) processor(state, &context);
  CompileResult result;
  result.diagnostics = std::move(context.diagnostics());
  result.routes = SettleConflicts(context.candidates(), &result.diagnostics);
  std::sort(result.routes.begin(), result.routes.end(), RouteMatchOrder);
  result.clusters = UsedClusters(result.routes, context.resolver().clusters());
  result.certificates = std::move(context.certificates());
  std::stable_sort(result.diagnostics.begin(), result.diagnostics.end(),
                   [](const Diagnostic& a, const Diagnostic& b) {
                     return std::tie(a.object, a.message) < std::tie(b.object, b.message);
                   });
  return result;
}

}  // namespace portico::controlplane
