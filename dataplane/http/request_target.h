// Reading the routing keys out of a request: the path of the request-target
// and the host of the Host header or absolute-form target. Pure functions.
#pragma once

#include <string>
#include <string_view>

namespace portico::dataplane {

// Splits a request-target in origin-form ("/a/b?q") or absolute-form
// ("http://h:8080/a?q"). Sets *path (without query, "/" when empty) and, for
// absolute-form, *authority. False for any other form.
bool ParseRequestTarget(std::string_view target, std::string* path, std::string* authority);

// Lowercase host without port: "Example.COM:8080" → "example.com",
// "[::1]:80" → "[::1]". False when the value is not a plausible host.
bool NormalizeHost(std::string_view authority, std::string* host);

}  // namespace portico::dataplane
