// Parsed HTTP/1.1 message heads as the proxy keeps them between parsing and
// re-serialising. Plain values; owned by the connection that parsed them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace portico::dataplane {

struct HeaderField {
  std::string name;
  std::string value;
};

struct RequestHead {
  std::string method;
  std::string target;  // request-target as received
  int http_minor = 1;  // HTTP/1.x
  std::vector<HeaderField> headers;
  bool chunked = false;    // Transfer-Encoding: chunked
  bool has_body = false;   // Content-Length > 0 or chunked
  bool keep_alive = true;  // what the client asked for
  bool upgrade = false;    // Connection: upgrade with an Upgrade header (WebSocket)
  std::string host;        // lowercase, without port
  std::string path;        // target's path, without query
  std::vector<HeaderField> trailers;  // after a chunked body

  // Back to a fresh head, keeping the containers' capacity for the next one.
  void Clear() {
    method.clear();
    target.clear();
    http_minor = 1;
    headers.clear();
    chunked = has_body = upgrade = false;
    keep_alive = true;
    host.clear();
    path.clear();
    trailers.clear();
  }
};

struct ResponseHead {
  int status = 0;
  std::string reason;
  int http_minor = 1;
  std::vector<HeaderField> headers;
  bool chunked = false;
  bool has_content_length = false;
  std::vector<HeaderField> trailers;  // after a chunked body

  void Clear() {
    status = 0;
    reason.clear();
    http_minor = 1;
    headers.clear();
    chunked = has_content_length = false;
    trailers.clear();
  }
};

// ASCII case-insensitive comparison for header names (inline: it runs for
// every header of every message).
inline bool HeaderNameEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    unsigned char x = static_cast<unsigned char>(a[i]);
    unsigned char y = static_cast<unsigned char>(b[i]);
    if (x == y) continue;
    unsigned char lx = x | 0x20;
    if (lx != (y | 0x20) || lx < 'a' || lx > 'z') return false;
  }
  return true;
}

// `value` without leading and trailing spaces and tabs.
std::string_view TrimOws(std::string_view value);

// Value of the first header named `name`, or null.
const std::string* FindHeader(const std::vector<HeaderField>& headers, std::string_view name);

}  // namespace portico::dataplane
