#include "dataplane/upstream/sticky_cookie.h"

#include <array>

#include "absl/strings/str_cat.h"
#include "dataplane/upstream/stable_hash.h"

namespace portico::dataplane {
namespace {

constexpr char kHex[] = "0123456789abcdef";
constexpr uint64_t kStickySeed = 0x737469636b79;  // "sticky"
constexpr uint64_t kNameSeed = 0x5f6e616d65;

// Hex digit values, -1 for anything else: a table, because a cookie value
// is random hex and branches on it would be mispredicted at every digit.
constexpr auto kHexValue = [] {
  std::array<int8_t, 256> table{};
  table.fill(-1);
  for (int i = 0; i < 10; ++i) table['0' + i] = static_cast<int8_t>(i);
  for (int i = 0; i < 6; ++i) {
    table['a' + i] = static_cast<int8_t>(10 + i);
    table['A' + i] = static_cast<int8_t>(10 + i);
  }
  return table;
}();

}  // namespace

uint64_t StickyCookieId(std::string_view service, std::string_view identity) {
  return StableHash64(identity, StableHash64(service, kStickySeed));
}

std::string FormatStickyValue(uint64_t id) {
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i, id >>= 4) out[i] = kHex[id & 0xf];
  return out;
}

std::optional<uint64_t> ParseStickyValue(std::string_view value) {
  if (value.size() != 16) return std::nullopt;
  uint64_t id = 0;
  int invalid = 0;
  for (char c : value) {
    int8_t digit = kHexValue[static_cast<unsigned char>(c)];
    invalid |= digit;  // negative once any digit is
    id = id << 4 | static_cast<uint64_t>(digit & 0xf);
  }
  if (invalid < 0) return std::nullopt;
  return id;
}

std::string DefaultStickyCookieName(std::string_view service) {
  return absl::StrCat("_", FormatStickyValue(StableHash64(service, kNameSeed)).substr(0, 5));
}

std::string StickyCookieAttributes(const StickyCookieSpec& cookie) {
  std::string out = absl::StrCat("; Path=", cookie.path);
  if (!cookie.domain.empty()) absl::StrAppend(&out, "; Domain=", cookie.domain);
  if (cookie.max_age > 0) absl::StrAppend(&out, "; Max-Age=", cookie.max_age);
  if (cookie.max_age < 0) absl::StrAppend(&out, "; Max-Age=0");
  if (cookie.secure) absl::StrAppend(&out, "; Secure");
  if (cookie.http_only) absl::StrAppend(&out, "; HttpOnly");
  switch (cookie.same_site) {
    case SameSite::kNone:
      absl::StrAppend(&out, "; SameSite=None");
      break;
    case SameSite::kLax:
      absl::StrAppend(&out, "; SameSite=Lax");
      break;
    case SameSite::kStrict:
      absl::StrAppend(&out, "; SameSite=Strict");
      break;
    case SameSite::kUnset:
      break;
  }
  return out;
}

}  // namespace portico::dataplane
