#include "controlplane/rules/rule_parser.h"

#include <algorithm>
#include <vector>

#include "controlplane/rules/matcher_catalog.h"
#include "controlplane/rules/utf8.h"

namespace portico::controlplane::rules {
namespace {

std::string Arity(const MatcherSpec& spec) {
  std::string n = std::to_string(spec.min_args);
  if (spec.max_args != spec.min_args) n += " or " + std::to_string(spec.max_args);
  return n + (spec.max_args == 1 ? " argument" : " arguments");
}

std::string_view KindName(RuleKind kind) { return kind == RuleKind::kHttp ? "HTTP" : "TCP"; }

// Offset of the first byte that is not part of well-formed UTF-8, or npos.
size_t FirstInvalidUtf8(std::string_view s) {
  size_t offset = 0;
  while (offset < s.size()) {
    uint32_t cp = 0;
    size_t len = DecodeUtf8(s.substr(offset), &cp);
    if (len == 0) return offset;
    offset += len;
  }
  return std::string_view::npos;
}

}  // namespace

int TreeHeight(const v1::Matcher& m) {
  auto list_height = [](const v1::MatcherList& list) {
    int h = 0;
    for (const v1::Matcher& child : list.matchers()) h = std::max(h, TreeHeight(child));
    return 2 + h;
  };
  switch (m.kind_case()) {
    case v1::Matcher::kAllOf:
      return list_height(m.all_of());
    case v1::Matcher::kAnyOf:
      return list_height(m.any_of());
    case v1::Matcher::kNot:
      return 1 + TreeHeight(m.not_());
    case v1::Matcher::kHeader:
    case v1::Matcher::kHeaderRegexp:
    case v1::Matcher::kQuery:
    case v1::Matcher::kQueryRegexp:
      return 2;
    default:
      return 1;
  }
}

bool RuleParser::Fail(size_t offset, std::string message) {
  *error_ = ErrorAt(rule_, offset, std::move(message));
  return false;
}

bool RuleParser::Advance() { return lexer_.Next(&token_, error_); }

bool RuleParser::CheckHeight(const v1::Matcher& node, size_t offset) {
  int height = TreeHeight(node);
  if (height <= kMaxTreeHeight) return true;
  return Fail(offset, "operators nest too deeply: the compiled rule would be " +
                          std::to_string(height) + " levels deep, at most " +
                          std::to_string(kMaxTreeHeight));
}

bool RuleParser::Parse(v1::Matcher* out, RuleError* error) {
  error_ = error;
  if (rule_.size() > limits_.max_bytes) {
    return Fail(limits_.max_bytes, "rule is longer than " + std::to_string(limits_.max_bytes) +
                                       " bytes (" + std::to_string(rule_.size()) + ")");
  }
  if (size_t bad = FirstInvalidUtf8(rule_); bad != std::string_view::npos) {
    return Fail(bad, "invalid UTF-8");
  }
  if (!Advance()) return false;
  if (token_.kind == TokenKind::kEnd) return Fail(0, "empty rule");
  if (!ParseList(out, 0, true)) return false;
  if (token_.kind == TokenKind::kClose) return Fail(token_.offset, "')' without a matching '('");
  if (token_.kind != TokenKind::kEnd) {
    return Fail(token_.offset,
                "expected '&&', '||' or the end of the rule, got " + Describe(token_));
  }
  return true;
}

// One run of `||` (any) or `&&` (all); operands of the same operator that
// come from parentheses are spliced into the run.
bool RuleParser::ParseList(v1::Matcher* out, int depth, bool any) {
  auto operand = [&](v1::Matcher* m) {
    return any ? ParseList(m, depth, false) : ParseUnary(m, depth);
  };
  if (!operand(out)) return false;
  const TokenKind op = any ? TokenKind::kOr : TokenKind::kAnd;
  if (token_.kind != op) return true;

  v1::Matcher list;
  v1::MatcherList* items = any ? list.mutable_any_of() : list.mutable_all_of();
  auto add = [&](v1::Matcher* m) {
    if (any ? m->has_any_of() : m->has_all_of()) {
      v1::MatcherList* inner = any ? m->mutable_any_of() : m->mutable_all_of();
      for (v1::Matcher& child : *inner->mutable_matchers()) items->add_matchers()->Swap(&child);
    } else {
      items->add_matchers()->Swap(m);
    }
  };
  add(out);
  size_t op_offset = token_.offset;
  while (token_.kind == op) {
    op_offset = token_.offset;
    if (!Advance()) return false;
    v1::Matcher next;
    if (!operand(&next)) return false;
    add(&next);
  }
  if (!CheckHeight(list, op_offset)) return false;
  out->Swap(&list);
  return true;
}

bool RuleParser::ParseUnary(v1::Matcher* out, int depth) {
  const size_t at = token_.offset;
  switch (token_.kind) {
    case TokenKind::kNot: {
      if (depth >= limits_.max_depth) {
        return Fail(at, "nesting deeper than " + std::to_string(limits_.max_depth) +
                            " levels of '(' and '!'");
      }
      if (!Advance()) return false;
      v1::Matcher inner;
      if (!ParseUnary(&inner, depth + 1)) return false;
      if (inner.has_not_()) {
        out->Swap(inner.mutable_not_());  // !!x is x
        return true;
      }
      out->mutable_not_()->Swap(&inner);
      return CheckHeight(*out, at);
    }
    case TokenKind::kOpen: {
      if (depth >= limits_.max_depth) {
        return Fail(at, "nesting deeper than " + std::to_string(limits_.max_depth) +
                            " levels of '(' and '!'");
      }
      if (!Advance()) return false;
      if (!ParseList(out, depth + 1, true)) return false;
      if (token_.kind != TokenKind::kClose) {
        return Fail(token_.offset, "expected '&&', '||' or ')' closing the '(' at column " +
                                       std::to_string(ErrorAt(rule_, at, "").column) + ", got " +
                                       Describe(token_));
      }
      return Advance();
    }
    case TokenKind::kName:
      return ParseMatcher(out);
    default:
      return Fail(at, "expected a matcher, '!' or '(', got " + Describe(token_));
  }
}

bool RuleParser::ParseMatcher(v1::Matcher* out) {
  const Token name = token_;
  const MatcherSpec* spec = FindMatcher(name.text);
  if (spec == nullptr) {
    return Fail(name.offset, "unknown matcher '" + name.text + "'; " +
                                 std::string(KindName(kind_)) + " rules take " +
                                 MatcherNames(kind_));
  }
  if (!(kind_ == RuleKind::kHttp ? spec->http : spec->tcp)) {
    return Fail(name.offset, std::string(spec->name) +
                                 (spec->http ? " is an HTTP matcher; " : " is a TCP matcher; ") +
                                 std::string(KindName(kind_)) + " rules take " +
                                 MatcherNames(kind_));
  }
  if (!Advance()) return false;
  if (token_.kind != TokenKind::kOpen) {
    return Fail(token_.offset,
                "expected '(' after " + std::string(spec->name) + ", got " + Describe(token_));
  }
  if (!Advance()) return false;
  std::vector<Token> args;
  size_t close = token_.offset;
  if (!ParseArguments(spec->name, spec->max_args, &args, &close)) return false;
  if (args.size() < spec->min_args) {
    return Fail(close, std::string(spec->name) + " takes " + Arity(*spec) + ", got " +
                           std::to_string(args.size()));
  }
  std::vector<std::string> values;
  for (Token& arg : args) values.push_back(std::move(arg.text));
  ArgumentError bad = spec->build(values, out);
  if (!bad.message.empty()) {
    return Fail(args[bad.argument].offset, std::string(spec->name) + ": " + bad.message);
  }
  return true;
}

// After the '(': strings separated by ',' up to the ')'. *close is where
// the ')' was.
bool RuleParser::ParseArguments(std::string_view matcher, size_t max_args, std::vector<Token>* args,
                                size_t* close) {
  const std::string name(matcher);
  if (token_.kind == TokenKind::kClose) {
    *close = token_.offset;
    return Advance();
  }
  while (true) {
    if (token_.kind != TokenKind::kString) {
      return Fail(token_.offset, "expected a string argument of " + name +
                                     " in `backticks` or \"double quotes\", got " +
                                     Describe(token_));
    }
    if (args->size() == max_args) {
      return Fail(token_.offset, name + " takes at most " + std::to_string(max_args) +
                                     (max_args == 1 ? " argument" : " arguments"));
    }
    args->push_back(token_);
    if (!Advance()) return false;
    if (token_.kind == TokenKind::kComma) {
      if (!Advance()) return false;
      continue;
    }
    if (token_.kind == TokenKind::kClose) {
      *close = token_.offset;
      return Advance();
    }
    return Fail(token_.offset, std::string("expected ") +
                                   (args->size() < max_args ? "',' or ')'" : "')'") +
                                   " after the arguments of " + name + ", got " + Describe(token_));
  }
}

}  // namespace portico::controlplane::rules
