// The matchers of the rule language: their names, which rules (HTTP or
// TCP) accept them, how many arguments they take, and how each turns its
// arguments into a normalised leaf of the compiled tree.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "controlplane/rules/compile.h"
#include "portico/v1/match.pb.h"

namespace portico::controlplane::rules {

// Why an argument was refused: which one (0-based) and the reason.
struct ArgumentError {
  size_t argument = 0;
  std::string message;  // empty: the arguments are fine
};

struct MatcherSpec {
  std::string_view name;  // canonical spelling: "PathPrefix"
  bool http;
  bool tcp;
  size_t min_args;
  size_t max_args;
  ArgumentError (*build)(const std::vector<std::string>& args, v1::Matcher* leaf);
};

// The matcher `name` is spelled as, or null. Like Traefik, a name matches
// in its canonical form, all lower-case, all upper-case, or with only its
// first letter upper-case ("PathPrefix", "pathprefix", "PATHPREFIX",
// "Pathprefix").
const MatcherSpec* FindMatcher(std::string_view name);

// "Host, HostRegexp, ..." — the matchers a rule of `kind` accepts.
std::string MatcherNames(RuleKind kind);

}  // namespace portico::controlplane::rules
