// Sticky-session cookies: the value that names an endpoint (or a service
// of a weighted split) to the client, and the Set-Cookie header built from
// Traefik's `sticky.cookie` options. The value is 16 hex digits of a stable
// hash of the service's name and the endpoint's identity: opaque, the same
// on every proxy replica, never the backend address itself (it is not a
// secret either: whoever can guess the address can compute it). Pure
// functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "dataplane/upstream/balancer_spec.h"

namespace portico::dataplane {

uint64_t StickyCookieId(std::string_view service, std::string_view identity);
// 16 lower-case hex digits.
std::string FormatStickyValue(uint64_t id);
// The id in a cookie value of 16 hex digits (either case); nullopt otherwise.
std::optional<uint64_t> ParseStickyValue(std::string_view value);
// "_" + 5 hex digits of a hash of the service name (Traefik derives its
// default the same way from a different hash).
std::string DefaultStickyCookieName(std::string_view service);
// The attributes after name=value, e.g. "; Path=/; Max-Age=60; Secure;
// HttpOnly; SameSite=Lax". Domain only when set; Max-Age only when not 0
// (a session cookie), and Max-Age=0 for a negative max_age.
std::string StickyCookieAttributes(const StickyCookieSpec& cookie);

}  // namespace portico::dataplane
