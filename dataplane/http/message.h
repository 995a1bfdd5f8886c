// Parsed HTTP/1.1 message heads as the proxy keeps them between parsing and
// re-serialising. Plain values; owned by the connection that parsed them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace portico::dataplane {

struct HeaderField {
  std::string name;
  std::string value;
};

// The header fields of one message. Clearing keeps every field's strings
// with their capacity, and the next message's fields reuse them: a head
// object that lives across requests (pooled exchanges, upstream
// connections) stops allocating once it has seen its largest head.
class HeaderList {
 public:
  HeaderList() = default;
  HeaderList(std::initializer_list<HeaderField> fields) : fields_(fields), size_(fields.size()) {}
  HeaderList& operator=(std::initializer_list<HeaderField> fields) {
    fields_.assign(fields);
    size_ = fields_.size();
    return *this;
  }

  // A new, empty field at the end (a reused one, emptied).
  HeaderField& emplace_back() {
    if (size_ == fields_.size()) {
      fields_.emplace_back();
    } else {
      fields_[size_].name.clear();
      fields_[size_].value.clear();
    }
    return fields_[size_++];
  }
  void clear() { size_ = 0; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  HeaderField& back() { return fields_[size_ - 1]; }
  const HeaderField& operator[](size_t i) const { return fields_[i]; }
  const HeaderField* begin() const { return fields_.data(); }
  const HeaderField* end() const { return fields_.data() + size_; }

 private:
  std::vector<HeaderField> fields_;
  size_t size_ = 0;
};

struct RequestHead {
  std::string method;
  std::string target;  // request-target as received
  int http_minor = 1;  // HTTP/1.x
  HeaderList headers;
  bool chunked = false;    // Transfer-Encoding: chunked
  bool has_body = false;   // Content-Length > 0 or chunked
  bool keep_alive = true;  // what the client asked for
  bool upgrade = false;    // Connection: upgrade with an Upgrade header (WebSocket)
  std::string host;        // lowercase, without port
  std::string path;        // target's path, without query
  HeaderList trailers;  // after a chunked body

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
  HeaderList headers;
  bool chunked = false;
  bool has_content_length = false;
  HeaderList trailers;  // after a chunked body

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
const std::string* FindHeader(const HeaderList& headers, std::string_view name);

}  // namespace portico::dataplane
