// The order of routes and the claims that make two routes conflict
// (compiler.h), shared by the full compile and the incremental one
// (incremental_compile.h).
#pragma once

#include <algorithm>
#include <string>
#include <tuple>
#include <vector>

#include "controlplane/compiler/compile_context.h"
#include "controlplane/compiler/compile_result.h"

namespace portico::controlplane {

// Step 2 of the match order: rule routes (IngressRoute, IngressRouteTCP)
// have no host or path of their own and tie there.
inline int HostClass(const Route& route) {
  if (route.host.empty()) return 2;
  return route.host.starts_with("*.") ? 1 : 0;
}
inline int HostClass(const TcpRoute&) { return 2; }
inline int PathClass(const Route& route) { return route.kind == PathKind::kExact ? 0 : 1; }
inline int PathClass(const TcpRoute&) { return 1; }

// The one match order of every route, HTTP and TCP (compiler.h).
template <typename R>
bool MatchOrder(const R& a, const RoutePrecedence& pa, const R& b, const RoutePrecedence& pb) {
  auto key = [](const R& route, const RoutePrecedence& precedence) {
    return std::make_tuple(-route.priority, HostClass(route), PathClass(route),
                           std::cref(precedence));
  };
  return key(a, pa) < key(b, pb);
}
template <typename Candidate>
bool MatchOrder(const Candidate& a, const Candidate& b) {
  return MatchOrder(a.route, a.precedence, b.route, b.precedence);
}

// Diagnostics by object, then message; stable, so that one object's equal
// messages keep the order the processors gave them.
inline void SortDiagnostics(std::vector<Diagnostic>* diagnostics) {
  std::stable_sort(diagnostics->begin(), diagnostics->end(),
                   [](const Diagnostic& a, const Diagnostic& b) {
                     return std::tie(a.object, a.message) < std::tie(b.object, b.message);
                   });
}

// The serialized matcher tree of an IngressRoute route; "" for Ingress
// routes.
inline std::string RuleBytes(const Route& r) {
  return r.match.tree == nullptr ? std::string() : r.match.tree->SerializeAsString();
}

// What a route claims: two routes with equal claims take the same requests
// (equal host, path kind and path, or equal rules; on the same entrypoints;
// a TLS route and a plaintext one never do), and only one is kept. Every
// part is length-prefixed, so that distinct claims never collide.
std::string ClaimKey(const Route& route, const std::string& rule_bytes);

}  // namespace portico::controlplane
