// Tokens of the rule language: matcher names, string literals (backtick
// raw strings and Go-style double-quoted strings), `(`, `)`, `,`, `&&`,
// `||`, `!`. Used only by the rule parser; one lexer per rule.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "controlplane/rules/compile.h"

namespace portico::controlplane::rules {

enum class TokenKind { kEnd, kName, kString, kOpen, kClose, kComma, kAnd, kOr, kNot };

struct Token {
  TokenKind kind = TokenKind::kEnd;
  size_t offset = 0;  // where the token starts in the rule
  std::string text;   // name, or the string's value with escapes resolved
};

// An error at byte `offset` of `rule`, with its line and column.
RuleError ErrorAt(std::string_view rule, size_t offset, std::string message);

// How a token is named in "expected ..., got <this>" messages.
std::string Describe(const Token& token);

class RuleLexer {
 public:
  explicit RuleLexer(std::string_view rule) : rule_(rule) {}

  // Reads the next token. False on a lexical error (unterminated string,
  // bad escape, stray character), with *error set.
  bool Next(Token* token, RuleError* error);

 private:
  bool ReadRawString(Token* token, RuleError* error);
  bool ReadQuotedString(Token* token, RuleError* error);
  bool ReadEscape(std::string* out, RuleError* error);
  RuleError Fail(size_t offset, std::string message) const;

  std::string_view rule_;
  size_t pos_ = 0;
};

}  // namespace portico::controlplane::rules
