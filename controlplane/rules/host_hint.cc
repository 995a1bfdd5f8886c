#include "controlplane/rules/host_hint.h"

#include <algorithm>
#include <string_view>

namespace portico::controlplane::rules {
namespace {

using HostSet = std::vector<std::string>;

bool IsWildcard(std::string_view host) { return host.size() > 2 && host.substr(0, 2) == "*."; }

// Whether every host `entry` admits is admitted by some entry of `set`.
bool Admits(const HostSet& set, const std::string& entry) {
  for (const std::string& other : set) {
    if (other == entry) return true;
    if (IsWildcard(other) && !IsWildcard(entry) && WildcardCovers(other, entry)) return true;
  }
  return false;
}

// Sorted, unique, and without exact hosts a wildcard of the set covers.
HostSet Tidy(HostSet set) {
  std::sort(set.begin(), set.end());
  set.erase(std::unique(set.begin(), set.end()), set.end());
  HostSet out;
  for (const std::string& host : set) {
    bool covered = false;
    for (const std::string& other : set) {
      if (IsWildcard(other) && !IsWildcard(host) && WildcardCovers(other, host)) covered = true;
    }
    if (!covered) out.push_back(host);
  }
  return out;
}

// Hosts admitted by both sets. When nothing is (the rule can never
// match), `a` is kept: any superset is a correct hint.
HostSet Intersect(const HostSet& a, const HostSet& b) {
  HostSet out;
  for (const std::string& host : a) {
    if (Admits(b, host)) out.push_back(host);
  }
  for (const std::string& host : b) {
    if (Admits(a, host)) out.push_back(host);
  }
  return out.empty() ? a : Tidy(std::move(out));
}

}  // namespace

bool WildcardCovers(std::string_view wildcard, std::string_view host) {
  std::string_view suffix = wildcard.substr(1);  // ".example.com"
  if (host.size() <= suffix.size() || host.substr(host.size() - suffix.size()) != suffix) {
    return false;
  }
  std::string_view label = host.substr(0, host.size() - suffix.size());
  return label.find('.') == std::string_view::npos;
}

std::optional<HostSet> RequiredHosts(const v1::Matcher& match) {
  switch (match.kind_case()) {
    case v1::Matcher::kHost:
      return HostSet{match.host()};
    case v1::Matcher::kHostWildcard:
      return HostSet{match.host_wildcard()};
    case v1::Matcher::kAllOf: {
      std::optional<HostSet> hosts;
      for (const v1::Matcher& child : match.all_of().matchers()) {
        std::optional<HostSet> required = RequiredHosts(child);
        if (!required) continue;
        hosts = hosts ? Intersect(*hosts, *required) : std::move(required);
      }
      return hosts;
    }
    case v1::Matcher::kAnyOf: {
      HostSet hosts;
      for (const v1::Matcher& child : match.any_of().matchers()) {
        std::optional<HostSet> required = RequiredHosts(child);
        if (!required) return std::nullopt;
        hosts.insert(hosts.end(), required->begin(), required->end());
      }
      return Tidy(std::move(hosts));
    }
    default:
      return std::nullopt;  // any other matcher, or a negation, leaves the host open
  }
}

}  // namespace portico::controlplane::rules
