// Reading the routing keys out of a request: the path of the request-target
// and the host of the Host header or absolute-form target. Pure functions.
#pragma once

#include <string>
#include <string_view>

namespace portico::dataplane {

// Splits a request-target in origin-form ("/a/b?q") or absolute-form
// ("http://h:8080/a?q"). Sets *path to its routing path (RoutingPath, without
// query, "/" when empty) and, for absolute-form, *authority. False for any
// other form.
bool ParseRequestTarget(std::string_view target, std::string* path, std::string* authority);

// The path routes are matched against (docs/rules.md): percent-escapes
// decoded, except those of RFC 3986's reserved characters and of '%', which
// stay encoded with upper-case hex ("/fo%6f/a%2fb" → "/foo/a%2Fb"); a '%'
// that starts no escape becomes "%25". Every '%' of the result thus starts an
// escape that stays, so decoding the result again changes nothing. The
// request goes upstream as received.
std::string RoutingPath(std::string_view raw);

// Why the proxy refuses a routing path (400), or "" when it does not.
//
// A "." or ".." segment ("/a/../b", "/a/.", and their escaped forms once
// RoutingPath decoded them): clients remove them before sending (RFC 3986
// section 5.2.4), and a backend that resolves them would serve another path
// than the one routed on, past the middlewares of the route that path has.
// Segments are split where any common backend splits: at '/', '\\' and an
// escaped "%2F", and "..;param" is "..". An escaped NUL, which C backends
// read as the end of the path.
std::string_view PathRefusal(std::string_view path);

// Lowercase host without port or trailing dot: "Example.COM.:8080" →
// "example.com", "[::1]:80" → "[::1]". False when the value is not a
// plausible host.
bool NormalizeHost(std::string_view authority, std::string* host);

}  // namespace portico::dataplane
