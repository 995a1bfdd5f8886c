// RouteTable: finds the route for a request's host and path. Immutable once
// built and shared by every worker of a RuntimeConfig; Match is thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"

namespace portico::dataplane {

struct Cluster;

enum class PathKind { kPrefix, kExact };

struct Route {
  std::string name;
  std::string host;  // lowercase exact host, "*.suffix", or "" for any host
  PathKind kind = PathKind::kPrefix;
  std::string path;  // Prefix paths are stored without a trailing '/' ("/" stays "/")
  const Cluster* cluster = nullptr;  // null: the route exists but has no backend (503)
  std::string source;
};

// Host lookup is exact first, then the single-label wildcard, then routes
// without a host; within a host the longest path wins and, at equal length,
// Exact beats Prefix. The first route of that order that matches is taken.
class RouteTable {
 public:
  // `routes` must outlive the table.
  explicit RouteTable(const std::vector<Route>& routes);

  // `host` lowercase without port; `path` the request path without query.
  const Route* Match(std::string_view host, std::string_view path) const;

 private:
  using Bucket = std::vector<const Route*>;
  static const Route* MatchBucket(const Bucket& bucket, std::string_view path);

  absl::flat_hash_map<std::string, Bucket> exact_;
  absl::flat_hash_map<std::string, Bucket> wildcard_;  // keyed by ".suffix"
  Bucket any_host_;
};

// Ingress path semantics: Prefix matches element by element ("/foo" matches
// "/foo", "/foo/", "/foo/bar", not "/foobar").
bool PathMatches(PathKind kind, std::string_view pattern, std::string_view path);

}  // namespace portico::dataplane
