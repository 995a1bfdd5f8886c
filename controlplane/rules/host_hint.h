// The hosts a compiled rule can match at most, so that a proxy can index
// routes by host instead of trying every route for every request.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "portico/v1/match.pb.h"

namespace portico::controlplane::rules {

// A set every matching request's host belongs to: exact hosts and
// "*.suffix" wildcards, sorted and unique. nullopt when the rule can match
// any host (no Host/HostSNI on every path through the rule, a HostRegexp,
// a host under '!', or Host(`*`)).
//   Host(a) && Path(p)      → {a}
//   Host(a) || Host(b)      → {a, b}
//   Host(a) || Path(p)      → any
//   Host(*.x) && Host(a.x)  → {a.x}
std::optional<std::vector<std::string>> RequiredHosts(const v1::Matcher& match);

// Whether `wildcard` ("*.example.com") covers `host`: exactly one
// non-empty label in front of the suffix.
bool WildcardCovers(std::string_view wildcard, std::string_view host);

}  // namespace portico::controlplane::rules
