#include "controlplane/compiler/incremental_compile.h"

#include <algorithm>
#include <map>
#include <tuple>
#include <utility>

#include "controlplane/compiler/ingress_processor.h"
#include "controlplane/compiler/prune.h"
#include "controlplane/compiler/route_order.h"

namespace portico::controlplane {
namespace {

bool FeedsTls(const Ingress& ingress) {
  return !ingress.tls.empty() || !ingress.tls_options.empty();
}

}  // namespace

bool RecompileIngresses(const ClusterState& state, const CompileOptions& options,
                        const std::vector<ObjectKey>& changed, CompileResult* result,
                        CompileIndex* index) {
  if (index->conflicts || index->precedence.size() != result->routes.size()) return false;
  std::set<std::string> sources;  // of the routes and diagnostics replaced
  for (const ObjectKey& key : changed) {
    if (index->tls_ingresses.contains(key)) return false;
    sources.insert("Ingress/" + key.str());
  }
  // The changed Ingresses, compiled alone against the whole state.
  CompileContext context(state, options);
  for (const ObjectKey& key : changed) {
    auto found = state.ingresses.find(key);
    if (found == state.ingresses.end()) continue;  // removed
    if (FeedsTls(found->second)) return false;
    RunIngressProcessorFor(state, found->second, &context);
  }
  // Every claim stays unique, or a conflict would have to be settled.
  absl::flat_hash_set<std::string> released;
  for (const Route& route : result->routes) {
    if (sources.contains(route.source)) released.insert(ClaimKey(route, RuleBytes(route)));
  }
  absl::flat_hash_set<std::string> arriving;
  for (const RouteCandidate& candidate : context.candidates()) {
    std::string claim = ClaimKey(candidate.route, RuleBytes(candidate.route));
    bool held = index->claims.contains(claim) && !released.contains(claim);
    if (held || !arriving.insert(std::move(claim)).second) return false;
  }
  // Checked: patch. Claims first, then the routes: the kept ones in their
  // order, the new ones merged in by the match order.
  for (const std::string& claim : released) index->claims.erase(claim);
  index->claims.insert(arriving.begin(), arriving.end());
  std::vector<RouteCandidate>& fresh = context.candidates();
  std::sort(fresh.begin(), fresh.end(),
            [](const RouteCandidate& a, const RouteCandidate& b) { return MatchOrder(a, b); });
  std::vector<Route> routes;
  std::vector<RoutePrecedence> precedence;
  routes.reserve(result->routes.size() + fresh.size());
  precedence.reserve(routes.capacity());
  size_t next = 0;
  auto take_fresh = [&] {
    routes.push_back(std::move(fresh[next].route));
    precedence.push_back(std::move(fresh[next].precedence));
    ++next;
  };
  for (size_t i = 0; i < result->routes.size(); ++i) {
    Route& route = result->routes[i];
    if (sources.contains(route.source)) continue;
    while (next < fresh.size() &&
           MatchOrder(fresh[next].route, fresh[next].precedence, route, index->precedence[i])) {
      take_fresh();
    }
    routes.push_back(std::move(route));
    precedence.push_back(std::move(index->precedence[i]));
  }
  while (next < fresh.size()) take_fresh();
  result->routes = std::move(routes);
  index->precedence = std::move(precedence);

  // Services and clusters: what the result had plus what the new routes
  // resolved, pruned to what the routes now use. (Services and endpoints
  // did not change, so neither did what a name resolves to.)
  std::map<std::string, BackendService> services;
  for (BackendService& service : result->services) {
    services.emplace_hint(services.end(), service.name, std::move(service));
  }
  for (auto& [name, service] : context.services()) services.try_emplace(name, std::move(service));
  result->services = UsedServices(result->routes, services);
  std::map<std::string, Cluster> clusters;
  for (Cluster& cluster : result->clusters) {
    clusters.emplace_hint(clusters.end(), cluster.name, std::move(cluster));
  }
  for (auto& [name, cluster] : context.resolver().TakeClusters()) {
    clusters.try_emplace(name, std::move(cluster));
  }
  result->clusters = UsedClusters(*result, std::move(clusters));
  // Ingress routes name no middleware or transport, and no TLS part
  // changed: the rest of the result stands.

  std::erase_if(result->diagnostics,
                [&](const Diagnostic& d) { return sources.contains(d.object); });
  for (Diagnostic& diagnostic : context.diagnostics()) {
    result->diagnostics.push_back(std::move(diagnostic));
  }
  SortDiagnostics(&result->diagnostics);
  return true;
}

}  // namespace portico::controlplane
