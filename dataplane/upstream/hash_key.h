// What a picker may read from a request (PickRequest), and the request key
// that consistent hashing and sticky cookies derive from it. The caller
// adapts its request type through HeaderLookup, so pickers do not depend on
// the HTTP code. Thread-compatible (views into the caller's request).
#pragma once

#include <cstdint>
#include <string_view>

#include "dataplane/upstream/balancer_spec.h"

namespace portico::dataplane {

class HeaderLookup {
 public:
  // The first value of the header `lower_name` (lower case), or empty.
  virtual std::string_view Get(std::string_view lower_name) const = 0;

 protected:
  ~HeaderLookup() = default;
};

struct PickRequest {
  uint64_t now_ms = 0;                    // loop time: ends ejections that ran out
  std::string_view client_ip;             // "10.0.0.1" or "::1"
  std::string_view path;                  // request path without the query
  const HeaderLookup* headers = nullptr;  // null: the request has no headers
};

// The value of cookie `name` in a Cookie header value ("a=1; b=2"), or
// empty. Names match exactly; surrounding quotes of a value are removed.
std::string_view FindCookie(std::string_view cookie_header, std::string_view name);

// The value of cookie `name` in `request`'s Cookie header, or empty.
std::string_view RequestCookie(const PickRequest& request, std::string_view name);

// The 64-bit key `spec` selects from `request`. A header or cookie the
// request lacks (or an empty path) falls back to the client IP, so that a
// client without the key still sticks to one endpoint.
uint64_t RequestHashKey(const HashKeySpec& spec, std::string_view lower_header_name,
                        const PickRequest& request);

}  // namespace portico::dataplane
