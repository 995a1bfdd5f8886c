#include "controlplane/crd/value_checks.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "controlplane/model/dns_names.h"
#include "re2/re2.h"

namespace portico::controlplane::crd {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// The nanoseconds in one unit, or 0 when `unit` is not one.
double UnitNanos(std::string_view unit) {
  if (unit == "ns") return 1;
  if (unit == "us" || unit == "\xC2\xB5s" || unit == "\xCE\xBCs") return 1e3;
  if (unit == "ms") return 1e6;
  if (unit == "s") return 1e9;
  if (unit == "m") return 60e9;
  if (unit == "h") return 3600e9;
  return 0;
}

bool ParseGoDuration(std::string_view text, double* nanos) {
  bool negative = false;
  if (!text.empty() && (text[0] == '-' || text[0] == '+')) {
    negative = text[0] == '-';
    text.remove_prefix(1);
  }
  if (text == "0") {
    *nanos = 0;
    return true;
  }
  if (text.empty()) return false;
  double total = 0;
  while (!text.empty()) {
    size_t n = 0;
    while (n < text.size() && (IsDigit(text[n]) || text[n] == '.')) ++n;
    std::string number(text.substr(0, n));
    if (number.empty() || number == "." || number.find('.') != number.rfind('.')) return false;
    text.remove_prefix(n);
    size_t u = 0;
    while (u < text.size() && !IsDigit(text[u]) && text[u] != '.') ++u;
    double unit = UnitNanos(text.substr(0, u));
    if (unit == 0) return false;
    text.remove_prefix(u);
    total += std::stod(number) * unit;
  }
  if (total > 9.2e18) return false;
  *nanos = negative ? -total : total;
  return true;
}

bool ParseCode(std::string_view text, int* out) {
  if (text.empty() || text.size() > 3) return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && end == text.data() + text.size() && *out >= 100 && *out <= 599;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

}  // namespace

bool IsPortName(std::string_view text) {
  if (text.empty() || text.size() > 15 || text.front() == '-' || text.back() == '-') return false;
  if (text.find("--") != std::string_view::npos) return false;
  bool letter = false;
  for (char c : text) {
    if (c >= 'a' && c <= 'z') {
      letter = true;
    } else if (!IsDigit(c) && c != '-') {
      return false;
    }
  }
  return letter;
}

bool ParseTraefikDuration(std::string_view text, std::chrono::nanoseconds* out) {
  if (!text.empty() && std::all_of(text.begin(), text.end(), IsDigit)) {
    int64_t seconds = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
    if (ec != std::errc() || seconds > kMaxDurationSeconds) return false;
    *out = std::chrono::seconds(seconds);
    return true;
  }
  double nanos = 0;
  if (!ParseGoDuration(text, &nanos)) return false;
  *out = std::chrono::nanoseconds(static_cast<int64_t>(std::llround(nanos)));
  return true;
}

bool IsHeaderName(std::string_view text) {
  static constexpr std::string_view kSymbols = "!#$%&'*+-.^_`|~";
  if (text.empty()) return false;
  for (char c : text) {
    bool ok = IsDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              kSymbols.find(c) != std::string_view::npos;
    if (!ok) return false;
  }
  return true;
}

bool IsHeaderValue(std::string_view text) {
  return text.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

std::string Re2Error(std::string_view pattern) {
  RE2::Options options;
  options.set_log_errors(false);
  RE2 re(re2::StringPiece(pattern.data(), pattern.size()), options);
  return re.ok() ? "" : re.error();
}

std::string ParseStatusRanges(std::string_view text, std::vector<StatusRange>* out) {
  while (true) {
    size_t comma = text.find(',');
    std::string_view part = Trim(text.substr(0, comma));
    size_t dash = part.find('-');
    StatusRange range;
    bool ok = dash == std::string_view::npos
                  ? ParseCode(part, &range.first) && ParseCode(part, &range.last)
                  : ParseCode(Trim(part.substr(0, dash)), &range.first) &&
                        ParseCode(Trim(part.substr(dash + 1)), &range.last);
    if (!ok) {
      return "must be status codes (100-599) or ranges such as \"500-599\", separated by commas";
    }
    if (range.first > range.last) return "a range must not end before it starts";
    out->push_back(range);
    if (comma == std::string_view::npos) return "";
    text.remove_prefix(comma + 1);
  }
}

bool IsIpOrCidr(std::string_view text) {
  size_t slash = text.find('/');
  std::string_view address = text.substr(0, slash);
  std::string canonical;
  int family = 0;
  if (ParseIpLiteral(address, 4, &canonical)) {
    family = 4;
  } else if (ParseIpLiteral(address, 6, &canonical)) {
    family = 6;
  } else {
    return false;
  }
  if (slash == std::string_view::npos) return true;
  std::string_view bits = text.substr(slash + 1);
  int prefix = -1;
  auto [end, ec] = std::from_chars(bits.data(), bits.data() + bits.size(), prefix);
  if (ec != std::errc() || end != bits.data() + bits.size() || bits.empty()) return false;
  return prefix >= 0 && prefix <= (family == 4 ? 32 : 128);
}

bool IsHttpUrl(std::string_view text) {
  std::string_view rest;
  if (text.substr(0, 7) == "http://") {
    rest = text.substr(7);
  } else if (text.substr(0, 8) == "https://") {
    rest = text.substr(8);
  } else {
    return false;
  }
  size_t host_end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, host_end);
  if (authority.empty() || authority.find('@') != std::string_view::npos) return false;
  for (char c : text) {
    if (static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7f) {
      return false;
    }
  }
  return true;
}

}  // namespace portico::controlplane::crd
