#include "controlplane/rules/matcher_values.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <array>
#include <charconv>
#include <cstdint>
#include <cstring>

#include "absl/strings/ascii.h"
#include "re2/re2.h"

namespace portico::controlplane::rules {
namespace {

bool IsHostLabelChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
}

// Dot-separated labels of letters, digits, '-' and '_' (Traefik's HostSNI
// alphabet), each 1-63 characters, 253 in all. A trailing dot is allowed.
std::string CheckHostName(std::string_view name) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  if (name.empty()) return "empty host name";
  if (name.size() > 253) return "host name is longer than 253 characters";
  size_t label = 0;
  for (size_t i = 0; i <= name.size(); ++i) {
    if (i == name.size() || name[i] == '.') {
      if (label == 0) return "host name has an empty label";
      if (label > 63) return "a host name label is longer than 63 characters";
      label = 0;
      continue;
    }
    if (!IsHostLabelChar(name[i])) {
      if (name[i] == ':') return "a host must not carry a port";
      if (name[i] == '*') return "'*' is allowed only as the whole host or as the first label";
      return std::string("host name contains '") + name[i] + "'";
    }
    ++label;
  }
  return "";
}

std::string LowerWithoutTrailingDot(std::string_view name) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  return absl::AsciiStrToLower(std::string(name));
}

}  // namespace

bool IsAscii(std::string_view value) {
  for (char c : value) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return true;
}

bool IsToken(std::string_view value) {
  static constexpr std::string_view kSymbols = "!#$%&'*+-.^_`|~";
  if (value.empty()) return false;
  for (char c : value) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) &&
        kSymbols.find(c) == std::string_view::npos) {
      return false;
    }
  }
  return true;
}

std::string NormalizeHostValue(std::string_view value, bool allow_wildcard, HostForm* form,
                               std::string* out) {
  if (value.empty()) return "empty host";
  if (!IsAscii(value)) {
    return "non-ASCII characters are not allowed; write the name in punycode (xn--...)";
  }
  if (value == "*") {
    *form = HostForm::kAny;
    out->clear();
    return "";
  }
  if (value.front() == '[' ||
      (value.find(':') != std::string_view::npos && value.find(':') != value.rfind(':'))) {
    // An IPv6 literal, bracketed or not: canonical text in brackets.
    std::string_view inner = value;
    if (inner.front() == '[') {
      if (inner.back() != ']') return "an IPv6 host must end with ']' and carry no port";
      inner = inner.substr(1, inner.size() - 2);
    }
    std::string text(inner);
    in6_addr addr{};
    if (inet_pton(AF_INET6, text.c_str(), &addr) != 1) return "invalid IPv6 address";
    char buf[INET6_ADDRSTRLEN];
    inet_ntop(AF_INET6, &addr, buf, sizeof buf);
    *form = HostForm::kExact;
    *out = std::string("[") + buf + "]";
    return "";
  }
  if (value.size() > 2 && value.substr(0, 2) == "*.") {
    if (!allow_wildcard) return "wildcards are not supported here; use a regular expression";
    if (std::string error = CheckHostName(value.substr(2)); !error.empty()) return error;
    *form = HostForm::kWildcard;
    *out = "*." + LowerWithoutTrailingDot(value.substr(2));
    return "";
  }
  if (std::string error = CheckHostName(value); !error.empty()) return error;
  *form = HostForm::kExact;
  *out = LowerWithoutTrailingDot(value);
  return "";
}

std::string CanonicalClientIp(std::string_view value, std::string* out) {
  std::string_view address = value.substr(0, value.find('/'));
  std::array<uint8_t, 16> bytes{};
  bool v6 = address.find(':') != std::string_view::npos;
  std::string text(address);
  if (inet_pton(v6 ? AF_INET6 : AF_INET, text.c_str(), bytes.data()) != 1) {
    return "'" + std::string(value) + "' is not an IP address or CIDR network";
  }
  int max_prefix = v6 ? 128 : 32;
  int prefix = max_prefix;
  if (size_t slash = value.find('/'); slash != std::string_view::npos) {
    std::string_view bits = value.substr(slash + 1);
    auto [end, ec] = std::from_chars(bits.data(), bits.data() + bits.size(), prefix);
    if (bits.empty() || ec != std::errc() || end != bits.data() + bits.size() || prefix < 0 ||
        prefix > max_prefix) {
      return "prefix length of '" + std::string(value) + "' must be 0 to " +
             std::to_string(max_prefix);
    }
  }
  static constexpr uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (v6 && prefix >= 96 && std::memcmp(bytes.data(), kMapped, 12) == 0) {
    // ::ffff:a.b.c.d is the IPv4 peer a.b.c.d: write it as IPv4.
    std::memmove(bytes.data(), bytes.data() + 12, 4);
    v6 = false;
    prefix -= 96;
    max_prefix = 32;
  }
  for (int bit = prefix; bit < max_prefix; ++bit) {
    bytes[static_cast<size_t>(bit / 8)] &= static_cast<uint8_t>(~(0x80 >> (bit % 8)));
  }
  char buf[INET6_ADDRSTRLEN];
  inet_ntop(v6 ? AF_INET6 : AF_INET, bytes.data(), buf, sizeof buf);
  *out = buf;
  if (prefix != max_prefix) *out += "/" + std::to_string(prefix);
  return "";
}

std::string CheckRegexp(std::string_view pattern) {
  RE2::Options options;
  options.set_log_errors(false);
  RE2 re(re2::StringPiece(pattern.data(), pattern.size()), options);
  if (!re.ok()) return "invalid regular expression: " + re.error();
  return "";
}

}  // namespace portico::controlplane::rules
