// TlsSessionCache: a worker's TLS sessions with its backends, so that a new
// upstream connection resumes instead of paying a full handshake (the
// backend skips its signature, the proxy the chain verification). Keyed by
// the connection's pool key, which holds the endpoint, the transport's
// settings and the name presented: a session is only ever offered to the
// very backend, name and settings it was made with. A session is taken
// out when offered (TLS 1.3 tickets are for one use; the backend sends a
// fresh one after each resumption). Bounded; loop thread only.
#pragma once

#include <cstddef>
#include <string>
#include <unordered_map>

#include "dataplane/tls/openssl_handles.h"

namespace portico::dataplane {

class TlsSessionCache {
 public:
  explicit TlsSessionCache(size_t capacity) : capacity_(capacity) {}

  // The session kept for `key`, removed from the cache; null if none.
  SslSessionPtr Take(const std::string& key);
  // Keeps `session` for `key` (replacing an older one). When full, another
  // key's session is dropped first.
  void Put(const std::string& key, SslSessionPtr session);
  size_t size() const { return sessions_.size(); }

 private:
  size_t capacity_;
  std::unordered_map<std::string, SslSessionPtr> sessions_;
};

}  // namespace portico::dataplane
