// Checks and normal forms of matcher arguments: hosts, IP networks, header
// names, methods, regular expressions. Each returns "" or the reason the
// value is refused (without position: the parser adds it).
#pragma once

#include <string>
#include <string_view>

namespace portico::controlplane::rules {

enum class HostForm { kAny, kExact, kWildcard };

// Host(`...`) / HostSNI(`...`): `*` (kAny), `*.example.com` (kWildcard,
// only when `allow_wildcard`), or a host name or IP literal (kExact).
// *out is lower-case without a trailing dot; IPv6 literals in brackets.
std::string NormalizeHostValue(std::string_view value, bool allow_wildcard, HostForm* form,
                               std::string* out);

// ClientIP: "10.1.2.3" stays, "10.1.2.3/8" → "10.0.0.0/8",
// "::ffff:10.0.0.0/104" → "10.0.0.0/8", "2001:db8::1/128" → "2001:db8::1".
std::string CanonicalClientIp(std::string_view value, std::string* out);

// RE2 syntax, compiled once to check it.
std::string CheckRegexp(std::string_view pattern);

// An HTTP token (RFC 9110 tchar), as header names and methods are.
bool IsToken(std::string_view value);

bool IsAscii(std::string_view value);

}  // namespace portico::controlplane::rules
