#include "controlplane/compiler/compiler.h"

#include <algorithm>
#include <array>
#include <set>
#include <tuple>

#include "controlplane/compiler/compile_context.h"
#include "controlplane/compiler/ingress_processor.h"
#include "controlplane/compiler/ingress_route_processor.h"
#include "controlplane/compiler/tls_processor.h"

namespace portico::controlplane {
namespace {

using Processor = void (*)(const ClusterState&, CompileContext*);

// The documented processor order; later processors (IngressRoute, ...) are
// appended here.
constexpr std::array<Processor, 3> kProcessors = {&RunIngressProcessor, &RunIngressRouteProcessor,
                                                  &RunTlsProcessor};

int HostClass(const std::string& host) {
  if (host.empty()) return 2;
  return host.starts_with("*.") ? 1 : 0;
}

// The one match order of every route (compiler.h).
bool MatchOrder(const RouteCandidate& a, const RouteCandidate& b) {
  auto key = [](const RouteCandidate& c) {
    const Route& r = c.route;
    return std::make_tuple(-r.priority, HostClass(r.host), r.kind == PathKind::kExact ? 0 : 1,
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

// Keeps the first candidate of every (host, kind, path, rule) in precedence
// order.
std::vector<RouteCandidate> SettleConflicts(std::vector<RouteCandidate>& candidates,
                                   std::vector<Diagnostic>* diagnostics) {
  // Routes with equal rules, or equal host, kind and path, claim the same
  // requests (a TLS route and a plaintext one never do).
  auto match_key = [](const Route& r) {
    return std::make_tuple(std::cref(r.host), r.kind, std::cref(r.path), r.tls, RuleBytes(r),
                           std::cref(r.entrypoints));
  };
  std::sort(candidates.begin(), candidates.end(),
            [&](const RouteCandidate& a, const RouteCandidate& b) {
              if (match_key(a.route) != match_key(b.route)) {
                return match_key(a.route) < match_key(b.route);
              }
              return a.precedence < b.precedence;
            });
  std::vector<RouteCandidate> routes;
  for (RouteCandidate& c : candidates) {
    if (!routes.empty() && match_key(routes.back().route) == match_key(c.route)) {
      const Route& winner = routes.back().route;
      std::string what = c.route.match.tree != nullptr ? std::string("the same rule")
                         : c.route.host.empty()
                             ? "any host, " + Describe(c.route.kind, c.route.path)
                             : "host " + c.route.host + ", " + Describe(c.route.kind, c.route.path);
      diagnostics->push_back({c.route.source, "Conflict",
                              "route " + c.route.name + " (" + what +
                                  ") is already claimed by route " + winner.name + " of " +
                                  winner.source + "; dropped"});
      continue;
    }
    routes.push_back(std::move(c));
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

CompileResult Compile(const ClusterState& state, const CompileOptions& options) {
  CompileContext context(state, options);
  for (Processor processor : kProcessors) processor(state, &context);
  CompileResult result;
  result.diagnostics = std::move(context.diagnostics());
  std::vector<RouteCandidate> winners = SettleConflicts(context.candidates(), &result.diagnostics);
  std::sort(winners.begin(), winners.end(), MatchOrder);
  result.routes.reserve(winners.size());
  for (RouteCandidate& winner : winners) result.routes.push_back(std::move(winner.route));
  result.clusters = UsedClusters(result.routes, context.resolver().clusters());
  result.certificates = std::move(context.certificates());
  result.tls_options = std::move(context.tls_options());
  result.default_certificate = std::move(context.default_certificate());
  std::stable_sort(result.diagnostics.begin(), result.diagnostics.end(),
                   [](const Diagnostic& a, const Diagnostic& b) {
                     return std::tie(a.object, a.message) < std::tie(b.object, b.message);
                   });
  return result;
}

}  // namespace portico::controlplane
