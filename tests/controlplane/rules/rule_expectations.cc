#include "tests/controlplane/rules/rule_expectations.h"

#include <google/protobuf/text_format.h>

namespace portico::controlplane::rules {

std::string Tree(std::string_view rule, RuleKind kind) {
  CompileResult result = Compile(rule, kind);
  if (!result.ok()) return "error: " + result.error.ToString();
  return result.rule->match.ShortDebugString();
}

std::string Expected(std::string_view text_proto) {
  v1::Matcher m;
  if (!google::protobuf::TextFormat::ParseFromString(std::string(text_proto), &m)) {
    return "unparsable expectation";
  }
  return m.ShortDebugString();
}

std::string ErrorOf(std::string_view rule, RuleKind kind) {
  CompileResult result = Compile(rule, kind);
  return result.ok() ? "compiled" : result.error.ToString();
}

}  // namespace portico::controlplane::rules
