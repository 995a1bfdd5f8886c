#include "controlplane/compiler/compiler.h"

#include <algorithm>
#include <array>
#include <numeric>
#include <set>
#include <tuple>
#include <variant>

#include "controlplane/compiler/compile_context.h"
#include "controlplane/compiler/incremental_compile.h"
#include "controlplane/compiler/ingress_processor.h"
#include "controlplane/compiler/ingress_route_processor.h"
#include "controlplane/compiler/l4_route_processor.h"
#include "controlplane/compiler/prune.h"
#include "controlplane/compiler/route_order.h"
#include "controlplane/compiler/tls_processor.h"

namespace portico::controlplane {
namespace {

using Processor = void (*)(const ClusterState&, CompileContext*);

// The documented processor order (compiler.h).
constexpr std::array<Processor, 5> kProcessors = {&RunIngressProcessor, &RunIngressRouteProcessor,
                                                  &RunIngressRouteTcpProcessor,
                                                  &RunIngressRouteUdpProcessor, &RunTlsProcessor};

std::string Describe(PathKind kind, const std::string& path) {
  return std::string(kind == PathKind::kExact ? "Exact " : "Prefix ") + path;
}

// The indexes of the candidates that win: the first of every (host, kind,
// path, rule) in precedence order; the others are reported as conflicts.
// Candidates are sorted by index, with each one's rule serialized once:
// the routes themselves (large) are never moved here.
std::vector<size_t> SettleConflicts(const std::vector<RouteCandidate>& candidates,
                                    std::vector<std::string>& rules,
                                    std::vector<Diagnostic>* diagnostics) {
  rules.resize(candidates.size());
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

CompileResult Compile(const ClusterState& state, const CompileOptions& options,
                      CompileIndex* index) {
  CompileContext context(state, options);
  context.candidates().reserve(CandidateBound(state));
  for (Processor processor : kProcessors) processor(state, &context);
  CompileResult result;
  result.diagnostics = std::move(context.diagnostics());
  std::vector<RouteCandidate>& candidates = context.candidates();
  std::vector<std::string> rules;
  size_t conflicts_before = result.diagnostics.size();
  std::vector<size_t> winners = SettleConflicts(candidates, rules, &result.diagnostics);
  std::sort(winners.begin(), winners.end(),
            [&](size_t a, size_t b) { return MatchOrder(candidates[a], candidates[b]); });
  if (index != nullptr) {
    *index = CompileIndex();
    index->conflicts = result.diagnostics.size() != conflicts_before;
    index->precedence.reserve(winners.size());
    index->claims.reserve(winners.size());
    for (size_t winner : winners) {
      index->precedence.push_back(candidates[winner].precedence);
      index->claims.insert(ClaimKey(candidates[winner].route, rules[winner]));
    }
    for (const auto& [key, ingress] : state.ingresses) {
      if (!ingress.tls.empty() || !ingress.tls_options.empty()) {
        index->tls_ingresses.insert(key);
      }
    }
  }
  result.routes.reserve(winners.size());
  for (size_t winner : winners) result.routes.push_back(std::move(candidates[winner].route));
  result.services = UsedServices(result.routes, context.services());
  std::vector<TcpRouteCandidate>& tcp = context.tcp_candidates();
  std::sort(tcp.begin(), tcp.end(), [](const TcpRouteCandidate& a, const TcpRouteCandidate& b) {
    return MatchOrder(a, b);
  });
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
  SortDiagnostics(&result.diagnostics);
  return result;
}

}  // namespace portico::controlplane
