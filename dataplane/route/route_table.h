// RouteTable: finds the route for a request. Immutable once built and shared
// by every worker of a RuntimeConfig; Match is thread-safe.
//
// Routes keep the snapshot's order, which is the match order (the
// controller sorts by priority, docs/rules.md). Each route is filed under
// the hosts it requires (Ingress: its host; IngressRoute: the hosts its rule
// requires), or under "any host". A request looks only at three lists, the
// routes of its exact host, of its one-label wildcard and of any host,
// merged in snapshot order, so the cost does not grow with unrelated routes.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/inlined_vector.h"
#include "absl/strings/string_view.h"
#include "dataplane/route/matcher.h"

namespace portico::dataplane {


enum class PathKind { kPrefix, kExact };

struct Route {
  std::string name;
  std::string host;  // lowercase exact host, "*.suffix", or "" for any host
  bool has_path = true;  // false for rule routes: the matcher decides
  PathKind kind = PathKind::kPrefix;
  std::string path;  // Prefix paths are stored without a trailing '/' ("/" stays "/")
  std::shared_ptr<const RouteMatcher> matcher;  // IngressRoute's rule; null: none
  std::vector<std::string> hosts;  // where the route is filed; empty: any host
  std::vector<std::string> entrypoints;  // serves only on these; empty: on every one
  // What to do with a matching request: RuntimeConfig::action(index).
  uint32_t action = kNoAction;
  static constexpr uint32_t kNoAction = UINT32_MAX;
  std::string source;
};

class RouteTable {
 public:
  // `routes` must outlive the table; their order is the match order.
  explicit RouteTable(const std::vector<Route>& routes);

  // The first route, in snapshot order, among those filed under the
  // request's host, its wildcard or any host, whose path and matcher
  // match. `input.host` lowercase without port; `input.path` without query.
  // `entrypoint` names the listener the request came in on.
  const Route* Match(const MatchInput& input, std::string_view entrypoint = {}) const;

 private:
  // Indices into routes_, ascending; most hosts have one route, kept
  // inline (no allocation per host at 10 000 routes).
  using Bucket = absl::InlinedVector<uint32_t, 1>;

  const std::vector<Route>& routes_;
  // Keys view the routes' own host strings (routes_ outlives the table).
  absl::flat_hash_map<absl::string_view, Bucket> exact_;
  absl::flat_hash_map<absl::string_view, Bucket> wildcard_;  // keyed by ".suffix"
  Bucket any_host_;
};

// Ingress path semantics: Prefix matches element by element ("/foo" matches
// "/foo", "/foo/", "/foo/bar", not "/foobar").
bool PathMatches(PathKind kind, std::string_view pattern, std::string_view path);

}  // namespace portico::dataplane
