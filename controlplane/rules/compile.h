// Compiling a Traefik v3 rule (`Host(`a.test`) && PathPrefix(`/api`)`) into
// the matcher tree the proxy evaluates (proto/portico/v1/match.proto), the
// hosts it is limited to, and its default priority. Pure functions, no
// state: safe to call from any thread. docs/rules.md describes the language.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "portico/v1/match.pb.h"

namespace portico::controlplane::rules {

// Which matchers a rule may use: IngressRoute (HTTP) or IngressRouteTCP.
enum class RuleKind { kHttp, kTcp };

struct RuleLimits {
  size_t max_bytes = 64 * 1024;  // longer rules are refused
  int max_depth = 64;            // nesting of '(' and '!'
};

// Where and why a rule was refused. `line` and `column` are 1-based;
// columns count characters (UTF-8 code points), not bytes.
struct RuleError {
  size_t offset = 0;  // byte offset into the rule
  int line = 1;
  int column = 1;
  std::string message;  // "expected ')' after the arguments of PathPrefix"

  // "column 14: expected ..." (or "line 2, column 3: ..." for rules that
  // span several lines).
  std::string ToString() const;
};

struct CompiledRule {
  v1::Matcher match;
  // Hosts every match requires: exact lower-case hosts and "*.suffix"
  // wildcards, sorted and unique. Empty: the rule may match any host.
  // A proxy can index the route under each of them.
  std::vector<std::string> hosts;
  // Priority when the route sets none: the rule's length in bytes, as
  // Traefik's len(rule); -1 for the TCP catch-all HostSNI(`*`).
  int64_t default_priority = 0;
};

struct CompileResult {
  std::optional<CompiledRule> rule;  // set on success
  RuleError error;                   // meaningful when `rule` is empty
  bool ok() const { return rule.has_value(); }
};

CompileResult Compile(std::string_view text, RuleKind kind, const RuleLimits& limits = {});

// Explicit priorities: 0 means unset; Traefik refuses anything above
// MaxInt64-1000 (the range above is for internal routers).
inline constexpr int64_t kMaxUserPriority = INT64_MAX - 1000;

// "" when `explicit_priority` may be used, else why not.
std::string CheckPriority(int64_t explicit_priority);

// The priority a route sorts by: the explicit one, or the rule's default.
inline int64_t EffectivePriority(int64_t explicit_priority, const CompiledRule& rule) {
  return explicit_priority != 0 ? explicit_priority : rule.default_priority;
}

}  // namespace portico::controlplane::rules
