// The checks an IngressRoute and an IngressRouteTCP route share before their
// own: the rule syntax, the rule itself and the priority. Each problem is
// reported through the caller's `report(reason, message)` with the field's
// suffix (".match: ...") and leaves the route out.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "controlplane/rules/compile.h"

namespace portico::controlplane {

template <typename Report>
std::optional<rules::CompileResult> CompileRouteRule(const std::string& syntax,
                                                     const std::string& match, int64_t priority,
                                                     rules::RuleKind kind, const Report& report) {
  if (!syntax.empty() && syntax != "v3") {
    report("Unsupported", ".syntax: only the v3 rule syntax is supported; the route is left out");
    return std::nullopt;
  }
  rules::CompileResult rule = rules::Compile(match, kind);
  if (!rule.ok()) {
    report("InvalidRule", ".match: " + rule.error.ToString() + "; the route is left out");
    return std::nullopt;
  }
  if (std::string e = rules::CheckPriority(priority); !e.empty()) {
    report("InvalidPriority", ".priority: " + e + "; the route is left out");
    return std::nullopt;
  }
  return rule;
}

}  // namespace portico::controlplane
