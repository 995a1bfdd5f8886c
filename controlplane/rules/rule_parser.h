// Recursive-descent parser of the rule language into the compiled matcher
// tree. Grammar (usual precedence: ! over && over ||):
//   rule    = or END
//   or      = and { "||" and }
//   and     = unary { "&&" unary }
//   unary   = "!" unary | "(" or ")" | matcher
//   matcher = NAME "(" [ STRING { "," STRING } ] ")"
// Runs of one operator become one all_of/any_of node; !!x becomes x.
#pragma once

#include <string_view>
#include <vector>

#include "controlplane/rules/compile.h"
#include "controlplane/rules/rule_lexer.h"
#include "portico/v1/match.pb.h"

namespace portico::controlplane::rules {

// Protobuf nesting the compiled tree may reach: the proxy parses snapshots
// with protobuf's default recursion limit (100), and the snapshot around
// the tree needs a few levels of its own.
inline constexpr int kMaxTreeHeight = 64;

// Message nesting of `m` (a leaf is 1, a list adds 2, a not adds 1).
int TreeHeight(const v1::Matcher& m);

class RuleParser {
 public:
  RuleParser(std::string_view rule, RuleKind kind, const RuleLimits& limits)
      : rule_(rule), kind_(kind), limits_(limits), lexer_(rule) {}

  bool Parse(v1::Matcher* out, RuleError* error);

 private:
  bool Advance();
  bool Fail(size_t offset, std::string message);
  bool ParseList(v1::Matcher* out, int depth, bool any);
  bool ParseUnary(v1::Matcher* out, int depth);
  bool ParseMatcher(v1::Matcher* out);
  bool ParseArguments(std::string_view matcher, size_t max_args, std::vector<Token>* args,
                      size_t* close);
  bool CheckHeight(const v1::Matcher& node, size_t offset);

  std::string_view rule_;
  RuleKind kind_;
  RuleLimits limits_;
  RuleLexer lexer_;
  Token token_;
  RuleError* error_ = nullptr;
};

}  // namespace portico::controlplane::rules
