#include "controlplane/rules/rule_lexer.h"

#include <cstdint>
#include <cstdio>

#include "controlplane/rules/utf8.h"

namespace portico::controlplane::rules {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool IsNameStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool IsNameChar(char c) { return IsNameStart(c) || (c >= '0' && c <= '9'); }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// A character as error messages show it: 'x' when printable, else U+hhhh.
std::string ShowChar(std::string_view rest) {
  unsigned char c = static_cast<unsigned char>(rest[0]);
  if (c > 0x20 && c < 0x7f) return std::string("'") + static_cast<char>(c) + "'";
  uint32_t cp = 0;
  size_t len = DecodeUtf8(rest, &cp);
  char buf[16];
  if (len == 0) {
    std::snprintf(buf, sizeof buf, "byte 0x%02X", c);
  } else {
    std::snprintf(buf, sizeof buf, "U+%04X", static_cast<unsigned>(cp));
  }
  return buf;
}

}  // namespace

RuleError ErrorAt(std::string_view rule, size_t offset, std::string message) {
  RuleError error;
  error.offset = offset;
  error.message = std::move(message);
  for (size_t i = 0; i < offset && i < rule.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(rule[i]);
    if (c == '\n') {
      ++error.line;
      error.column = 1;
    } else if ((c & 0xC0) != 0x80) {  // count code points, not continuation bytes
      ++error.column;
    }
  }
  return error;
}

std::string RuleError::ToString() const {
  std::string where = line > 1 ? "line " + std::to_string(line) + ", " : "";
  return where + "column " + std::to_string(column) + ": " + message;
}

std::string Describe(const Token& token) {
  switch (token.kind) {
    case TokenKind::kEnd:
      return "the end of the rule";
    case TokenKind::kName:
      return "'" + token.text + "'";
    case TokenKind::kString:
      return "a string";
    case TokenKind::kOpen:
      return "'('";
    case TokenKind::kClose:
      return "')'";
    case TokenKind::kComma:
      return "','";
    case TokenKind::kAnd:
      return "'&&'";
    case TokenKind::kOr:
      return "'||'";
    case TokenKind::kNot:
      return "'!'";
  }
  return "a token";
}

RuleError RuleLexer::Fail(size_t offset, std::string message) const {
  return ErrorAt(rule_, offset, std::move(message));
}

bool RuleLexer::Next(Token* token, RuleError* error) {
  while (pos_ < rule_.size() && IsSpace(rule_[pos_])) ++pos_;
  token->offset = pos_;
  token->text.clear();
  if (pos_ == rule_.size()) {
    token->kind = TokenKind::kEnd;
    return true;
  }
  char c = rule_[pos_];
  auto single = [&](TokenKind kind) {
    token->kind = kind;
    ++pos_;
    return true;
  };
  auto pair = [&](TokenKind kind, const char* spelled) {
    if (pos_ + 1 < rule_.size() && rule_[pos_ + 1] == c) {
      token->kind = kind;
      pos_ += 2;
      return true;
    }
    *error = Fail(pos_, std::string("expected '") + spelled + "', got a single '" + c + "'");
    return false;
  };
  switch (c) {
    case '(':
      return single(TokenKind::kOpen);
    case ')':
      return single(TokenKind::kClose);
    case ',':
      return single(TokenKind::kComma);
    case '!':
      return single(TokenKind::kNot);
    case '&':
      return pair(TokenKind::kAnd, "&&");
    case '|':
      return pair(TokenKind::kOr, "||");
    case '`':
      return ReadRawString(token, error);
    case '"':
      return ReadQuotedString(token, error);
    case '\'':
      *error =
          Fail(pos_, "single-quoted strings are not allowed; use `backticks` or \"double quotes\"");
      return false;
    default:
      break;
  }
  if (IsNameStart(c)) {
    size_t start = pos_;
    while (pos_ < rule_.size() && IsNameChar(rule_[pos_])) ++pos_;
    token->kind = TokenKind::kName;
    token->text.assign(rule_.substr(start, pos_ - start));
    return true;
  }
  *error = Fail(pos_, "unexpected character " + ShowChar(rule_.substr(pos_)));
  return false;
}

// `...`: no escapes; carriage returns are dropped, as in Go raw strings.
bool RuleLexer::ReadRawString(Token* token, RuleError* error) {
  size_t start = pos_++;
  size_t end = rule_.find('`', pos_);
  if (end == std::string_view::npos) {
    *error = Fail(start, "unterminated string: the backtick opened here is never closed");
    return false;
  }
  for (char c : rule_.substr(pos_, end - pos_)) {
    if (c != '\r') token->text.push_back(c);
  }
  pos_ = end + 1;
  token->kind = TokenKind::kString;
  return true;
}

// "...": Go string escapes; no raw newline inside.
bool RuleLexer::ReadQuotedString(Token* token, RuleError* error) {
  size_t start = pos_++;
  while (true) {
    if (pos_ >= rule_.size() || rule_[pos_] == '\n') {
      *error = Fail(start, "unterminated string: the '\"' opened here is never closed on its line");
      return false;
    }
    char c = rule_[pos_];
    if (c == '"') break;
    if (c == '\\') {
      if (!ReadEscape(&token->text, error)) return false;
    } else {
      token->text.push_back(c);
      ++pos_;
    }
  }
  ++pos_;
  if (!ValidUtf8(token->text)) {
    *error = Fail(start, "the escapes of this string do not form valid UTF-8");
    return false;
  }
  token->kind = TokenKind::kString;
  return true;
}

bool RuleLexer::ReadEscape(std::string* out, RuleError* error) {
  size_t at = pos_;
  if (pos_ + 1 >= rule_.size()) {
    *error = Fail(at, "unterminated string: '\\' at the end of the rule");
    return false;
  }
  char e = rule_[pos_ + 1];
  pos_ += 2;
  static constexpr std::string_view kSimple = "abfnrtv\\\"";
  static constexpr std::string_view kValues = "\a\b\f\n\r\t\v\\\"";
  if (size_t i = kSimple.find(e); i != std::string_view::npos) {
    out->push_back(kValues[i]);
    return true;
  }
  int digits = 0, base = 16;
  switch (e) {
    case 'x':
      digits = 2;
      break;
    case 'u':
      digits = 4;
      break;
    case 'U':
      digits = 8;
      break;
    default:
      if (e >= '0' && e <= '7') {
        digits = 3;
        base = 8;
        --pos_;  // the first octal digit is part of the value
        break;
      }
      *error =
          Fail(at, "invalid escape '\\" + std::string(1, e) +
                       "' in a double-quoted string (use `backticks` for regular expressions)");
      return false;
  }
  uint32_t value = 0;
  for (int i = 0; i < digits; ++i) {
    int d = pos_ < rule_.size() ? HexValue(rule_[pos_]) : -1;
    if (d < 0 || d >= base) {
      *error = Fail(at, "escape '\\" + std::string(1, e) + "' needs " + std::to_string(digits) +
                            (base == 8 ? " octal" : " hex") + " digits");
      return false;
    }
    value = value * static_cast<uint32_t>(base) + static_cast<uint32_t>(d);
    ++pos_;
  }
  if (e == 'x' || base == 8) {
    if (value > 0xFF) {
      *error = Fail(at, "octal escape is above \\377");
      return false;
    }
    out->push_back(static_cast<char>(value));
    return true;
  }
  if (!AppendUtf8(value, out)) {
    *error = Fail(at, "escape is not a valid Unicode code point");
    return false;
  }
  return true;
}

}  // namespace portico::controlplane::rules
