#include "controlplane/source/yaml_scalar.h"

#include <array>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <limits>

namespace portico::controlplane {
namespace {

using Type = YamlScalar::Type;

constexpr std::string_view kTagPrefix = "tag:yaml.org,2002:";

bool OneOf(std::string_view text, std::initializer_list<std::string_view> words) {
  for (std::string_view w : words) {
    if (text == w) return true;
  }
  return false;
}

int DigitValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return 99;
}

// strconv.ParseUint(text, 0, 64) without sign: base prefixes 0x, 0o, 0b and a
// leading 0 for octal.
bool ParseMagnitude(std::string_view text, uint64_t* out) {
  int base = 10;
  if (text.size() > 2 && text[0] == '0') {
    char p = text[1];
    if (p == 'x' || p == 'X') base = 16;
    if (p == 'o' || p == 'O') base = 8;
    if (p == 'b' || p == 'B') base = 2;
    if (base != 10) text.remove_prefix(2);
  }
  if (base == 10 && text.size() > 1 && text[0] == '0') base = 8;
  if (text.empty()) return false;
  uint64_t value = 0;
  for (char c : text) {
    int d = DigitValue(c);
    if (d >= base) return false;
    if (value > (std::numeric_limits<uint64_t>::max() - static_cast<uint64_t>(d)) /
                    static_cast<uint64_t>(base)) {
      return false;
    }
    value = value * static_cast<uint64_t>(base) + static_cast<uint64_t>(d);
  }
  *out = value;
  return true;
}

bool ParseInteger(std::string_view text, YamlScalar* out) {
  bool negative = false;
  bool sign = !text.empty() && (text[0] == '-' || text[0] == '+');
  if (sign) {
    negative = text[0] == '-';
    text.remove_prefix(1);
  }
  uint64_t magnitude = 0;
  if (!ParseMagnitude(text, &magnitude)) return false;
  constexpr uint64_t kMaxInt = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  if (negative) {
    if (magnitude > kMaxInt + 1) return false;
    out->type = Type::kInt;
    out->int_value = magnitude == kMaxInt + 1 ? std::numeric_limits<int64_t>::min()
                                              : -static_cast<int64_t>(magnitude);
  } else if (magnitude <= kMaxInt) {
    out->type = Type::kInt;
    out->int_value = static_cast<int64_t>(magnitude);
  } else {
    if (sign) return false;  // ParseUint takes no sign
    out->type = Type::kUint;
    out->uint_value = magnitude;
  }
  return true;
}

// go-yaml v2's yamlStyleFloat: ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$
bool IsYamlStyleFloat(std::string_view s) {
  size_t i = 0;
  auto digits = [&] {
    size_t start = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    return i - start;
  };
  if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
  if (i < s.size() && s[i] == '.') {
    ++i;
    if (digits() == 0) return false;
  } else {
    if (digits() == 0) return false;
    if (i < s.size() && s[i] == '.') {
      ++i;
      digits();
    }
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
    if (digits() == 0) return false;
  }
  return i == s.size();
}

bool ParseFloat(std::string_view text, YamlScalar* out) {
  if (!IsYamlStyleFloat(text)) return false;
  std::string copy(text);
  errno = 0;
  double value = std::strtod(copy.c_str(), nullptr);
  if (errno == ERANGE && (value == HUGE_VAL || value == -HUGE_VAL)) {
    out->type = Type::kInvalid;
    out->error = "number " + copy + " is out of range";
    return true;
  }
  out->type = Type::kFloat;
  out->float_value = value;
  return true;
}

bool IsInfOrNan(std::string_view text) {
  return OneOf(text, {".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF",
                      ".nan", ".NaN", ".NAN"});
}

std::string WithoutUnderscores(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c != '_') out.push_back(c);
  }
  return out;
}

YamlScalar StringScalar() { return YamlScalar{.type = Type::kString}; }

}  // namespace

YamlScalar ResolvePlainScalar(std::string_view text) {
  YamlScalar out;
  if (OneOf(text, {"", "~", "null", "Null", "NULL"})) return YamlScalar{.type = Type::kNull};
  if (OneOf(text, {"y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"})) {
    return YamlScalar{.type = Type::kBool, .boolean = true};
  }
  if (OneOf(text, {"n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"})) {
    return YamlScalar{.type = Type::kBool, .boolean = false};
  }
  if (IsInfOrNan(text)) {
    return YamlScalar{.type = Type::kInvalid,
                      .error = "value " + std::string(text) + " has no JSON representation"};
  }
  // Only scalars that start like a number can be one (go-yaml's hint table).
  if (std::string_view("+-.0123456789").find(text[0]) == std::string_view::npos) {
    return StringScalar();
  }
  std::string plain = WithoutUnderscores(text);
  if (ParseInteger(plain, &out)) return out;
  if (ParseFloat(plain, &out)) return out;
  return StringScalar();
}

YamlScalar ResolveTaggedScalar(std::string_view tag, std::string_view text) {
  if (tag.substr(0, kTagPrefix.size()) != kTagPrefix) return StringScalar();
  std::string_view type = tag.substr(kTagPrefix.size());
  if (type != "int" && type != "float" && type != "bool" && type != "null") return StringScalar();
  YamlScalar plain = ResolvePlainScalar(text);
  bool matches = (type == "int" && (plain.type == Type::kInt || plain.type == Type::kUint)) ||
                 (type == "float" && (plain.type == Type::kInt || plain.type == Type::kUint ||
                                      plain.type == Type::kFloat)) ||
                 (type == "bool" && plain.type == Type::kBool) ||
                 (type == "null" && plain.type == Type::kNull);
  if (matches || plain.type == Type::kInvalid) return plain;
  return YamlScalar{
      .type = Type::kInvalid,
      .error = "cannot decode \"" + std::string(text) + "\" as !!" + std::string(type)};
}

}  // namespace portico::controlplane
