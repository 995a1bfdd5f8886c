#include "dataplane/tls/tls_session_cache.h"

namespace portico::dataplane {

SslSessionPtr TlsSessionCache::Take(const std::string& key) {
  auto it = sessions_.find(key);
  if (it == sessions_.end()) return nullptr;
  SslSessionPtr session = std::move(it->second);
  sessions_.erase(it);
  return session;
}

void TlsSessionCache::Put(const std::string& key, SslSessionPtr session) {
  if (session == nullptr || capacity_ == 0) return;
  if (auto it = sessions_.find(key); it != sessions_.end()) {
    it->second = std::move(session);
    return;
  }
  // Full: drop whichever entry the table yields first. Keys come and go
  // with endpoints and configs; the ones in use are put back after each
  // handshake, so they stay.
  if (sessions_.size() >= capacity_) sessions_.erase(sessions_.begin());
  sessions_.emplace(key, std::move(session));
}

}  // namespace portico::dataplane
