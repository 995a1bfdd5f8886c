// Test helpers: compile a rule and compare the tree with one written out
// literally in protobuf text format.
#pragma once

#include <string>
#include <string_view>

#include "controlplane/rules/compile.h"

namespace portico::controlplane::rules {

// The compiled tree in text format ("" plus the error when it fails).
std::string Tree(std::string_view rule, RuleKind kind = RuleKind::kHttp);

// `text_proto` re-printed the way Tree prints, so the two compare as
// strings with readable failures.
std::string Expected(std::string_view text_proto);

// "column N: message" for a rule that must fail; "compiled" otherwise.
std::string ErrorOf(std::string_view rule, RuleKind kind = RuleKind::kHttp);

}  // namespace portico::controlplane::rules
