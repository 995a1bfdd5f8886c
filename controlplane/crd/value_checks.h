// Checks of single values that CRD decoders share: port names, durations,
// header names, RE2 expressions, status code ranges, IP ranges, URLs.
// Pure functions; safe from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace portico::controlplane::crd {

// About 292 years, the most a Go time.Duration holds.
inline constexpr int64_t kMaxDurationSeconds = 9'223'372'036;

// An IANA service name as Kubernetes uses for port names: 1-15 of
// [a-z0-9-], at least one letter, no leading, trailing or double '-'.
bool IsPortName(std::string_view text);

// Traefik's reading of a duration string: a plain integer is seconds,
// anything else is a Go duration ("1h2m3.5s", "-100ms", units ns us µs ms s
// m h). False on syntax errors and overflow.
bool ParseTraefikDuration(std::string_view text, std::chrono::nanoseconds* out);

// An HTTP field name (RFC 9110 token).
bool IsHeaderName(std::string_view text);
// No CR, LF or NUL: what may go into a header value.
bool IsHeaderValue(std::string_view text);

// "" when `pattern` compiles with RE2, else RE2's reason.
std::string Re2Error(std::string_view pattern);

struct StatusRange {
  int first = 0;
  int last = 0;  // inclusive
  bool operator==(const StatusRange&) const = default;
};
// "500-599", "404", or several of them separated by commas ("404,418").
// Codes are 100-599 and first <= last. Returns "" or the reason.
std::string ParseStatusRanges(std::string_view text, std::vector<StatusRange>* out);

// An IPv4/IPv6 address or CIDR range ("10.0.0.0/8", "::1").
bool IsIpOrCidr(std::string_view text);

// An absolute http:// or https:// URL with a host.
bool IsHttpUrl(std::string_view text);

}  // namespace portico::controlplane::crd
