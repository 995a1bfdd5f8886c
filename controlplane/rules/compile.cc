#include "controlplane/rules/compile.h"

#include "controlplane/rules/host_hint.h"
#include "controlplane/rules/rule_parser.h"

namespace portico::controlplane::rules {

CompileResult Compile(std::string_view text, RuleKind kind, const RuleLimits& limits) {
  CompileResult result;
  v1::Matcher match;
  RuleParser parser(text, kind, limits);
  if (!parser.Parse(&match, &result.error)) return result;

  CompiledRule& rule = result.rule.emplace();
  // Traefik: len(rule), in bytes. The TCP catch-all HostSNI(`*`) alone goes
  // last among routes without an explicit priority.
  rule.default_priority = static_cast<int64_t>(text.size());
  if (kind == RuleKind::kTcp && match.has_any_host()) rule.default_priority = -1;
  if (std::optional<std::vector<std::string>> hosts = RequiredHosts(match)) {
    rule.hosts = std::move(*hosts);
  }
  rule.match = std::move(match);
  return result;
}

std::string CheckPriority(int64_t explicit_priority) {
  if (explicit_priority > kMaxUserPriority) {
    return "priority " + std::to_string(explicit_priority) + " is above the maximum " +
           std::to_string(kMaxUserPriority);
  }
  return "";
}

}  // namespace portico::controlplane::rules
