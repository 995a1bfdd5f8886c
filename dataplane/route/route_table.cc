#include "dataplane/route/route_table.h"

#include <algorithm>

namespace portico::dataplane {

bool PathMatches(PathKind kind, std::string_view pattern, std::string_view path) {
  if (kind == PathKind::kExact) return path == pattern;
  if (pattern == "/") return true;
  if (path.size() < pattern.size() || path.substr(0, pattern.size()) != pattern) return false;
  return path.size() == pattern.size() || path[pattern.size()] == '/';
}

RouteTable::RouteTable(const std::vector<Route>& routes) {
  for (const Route& route : routes) {
    if (route.host.empty()) {
      any_host_.push_back(&route);
    } else if (route.host.starts_with("*.")) {
      wildcard_[route.host.substr(1)].push_back(&route);
    } else {
      exact_[route.host].push_back(&route);
    }
  }
  auto order = [](const Route* a, const Route* b) {
    if (a->path.size() != b->path.size()) return a->path.size() > b->path.size();
    return a->kind == PathKind::kExact && b->kind != PathKind::kExact;
  };
  for (auto& [_, bucket] : exact_) std::stable_sort(bucket.begin(), bucket.end(), order);
  for (auto& [_, bucket] : wildcard_) std::stable_sort(bucket.begin(), bucket.end(), order);
  std::stable_sort(any_host_.begin(), any_host_.end(), order);
}

const Route* RouteTable::MatchBucket(const Bucket& bucket, std::string_view path) {
  for (const Route* route : bucket) {
    if (PathMatches(route->kind, route->path, path)) return route;
  }
  return nullptr;
}

const Route* RouteTable::Match(std::string_view host, std::string_view path) const {
  if (auto it = exact_.find(absl::string_view(host.data(), host.size())); it != exact_.end()) {
    if (const Route* r = MatchBucket(it->second, path)) return r;
  }
  // A wildcard covers exactly one label: "*.foo.com" matches "a.foo.com" only.
  if (size_t dot = host.find('.'); dot != std::string_view::npos && dot > 0) {
    if (auto it = wildcard_.find(absl::string_view(host.data() + dot, host.size() - dot));
        it != wildcard_.end()) {
      if (const Route* r = MatchBucket(it->second, path)) return r;
    }
  }
  return MatchBucket(any_host_, path);
}

}  // namespace portico::dataplane
