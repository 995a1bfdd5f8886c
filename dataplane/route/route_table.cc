#include "dataplane/route/route_table.h"

#include <algorithm>
#include <limits>
#include <span>

namespace portico::dataplane {
namespace {

constexpr uint32_t kEnd = std::numeric_limits<uint32_t>::max();

// Walks one bucket in order; kEnd once exhausted.
template <typename Bucket>
struct BasicCursor {
  const Bucket* bucket = nullptr;
  size_t next = 0;
  uint32_t peek() const {
    return bucket == nullptr || next >= bucket->size() ? kEnd : (*bucket)[next];
  }
};

bool RouteMatches(const Route& route, const MatchInput& input, std::string_view entrypoint) {
  if (!route.entrypoints.empty() &&
      std::find(route.entrypoints.begin(), route.entrypoints.end(), entrypoint) ==
          route.entrypoints.end()) {
    return false;
  }
  if (route.has_path && !PathMatches(route.kind, route.path, input.path)) return false;
  return route.matcher == nullptr || route.matcher->Matches(input);
}

}  // namespace

bool PathMatches(PathKind kind, std::string_view pattern, std::string_view path) {
  if (kind == PathKind::kExact) return path == pattern;
  if (pattern == "/") return true;
  if (path.size() < pattern.size() || path.substr(0, pattern.size()) != pattern) return false;
  return path.size() == pattern.size() || path[pattern.size()] == '/';
}

RouteTable::RouteTable(const std::vector<Route>& routes) : routes_(routes) {
  for (uint32_t i = 0; i < routes.size(); ++i) {
    const Route& route = routes[i];
    // Rule routes list their hosts; Ingress routes have the one host.
    std::span<const std::string> hosts = route.hosts;
    if (hosts.empty() && !route.host.empty()) hosts = {&route.host, 1};
    if (hosts.empty()) any_host_.push_back(i);
    for (const std::string& host : hosts) {
      absl::string_view key(host.data(), host.size());
      Bucket& bucket = host.starts_with("*.") ? wildcard_[key.substr(1)] : exact_[key];
      // A route listing a host twice is filed once.
      if (bucket.empty() || bucket.back() != i) bucket.push_back(i);
    }
  }
}

const Route* RouteTable::Match(const MatchInput& input, std::string_view entrypoint) const {
  std::string_view host = input.host;
  using Cursor = BasicCursor<Bucket>;
  Cursor cursors[3];
  if (auto it = exact_.find(absl::string_view(host.data(), host.size())); it != exact_.end()) {
    cursors[0].bucket = &it->second;
  }
  // A wildcard covers exactly one label: "*.foo.com" matches "a.foo.com" only.
  if (size_t dot = host.find('.'); dot != std::string_view::npos && dot > 0) {
    if (auto it = wildcard_.find(absl::string_view(host.data() + dot, host.size() - dot));
        it != wildcard_.end()) {
      cursors[1].bucket = &it->second;
    }
  }
  cursors[2].bucket = &any_host_;
  // Three sorted lists merged by index: the first match in snapshot order.
  for (;;) {
    Cursor* lowest = nullptr;
    for (Cursor& c : cursors) {
      if (c.peek() != kEnd && (lowest == nullptr || c.peek() < lowest->peek())) lowest = &c;
    }
    if (lowest == nullptr) return nullptr;
    const Route& route = routes_[lowest->peek()];
    ++lowest->next;
    if (RouteMatches(route, input, entrypoint)) return &route;
  }
}

}  // namespace portico::dataplane
