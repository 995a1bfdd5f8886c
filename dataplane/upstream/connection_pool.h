// ConnectionPool: one per worker; idle upstream connections keyed by pool
// key (the endpoint, and for TLS the transport and the name presented),
// most recently used first. Not thread-safe.
//
// The cap holds per endpoint, across its keys: over TLS without a
// serverName the name comes from the client's Host, and clients choosing
// many Hosts must not make the worker hold many idle connections (each with
// its TLS state) to one backend.
#pragma once

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"

namespace portico::dataplane {

class UpstreamConnection;

// The endpoint a pool key belongs to: the key up to its first space
// ("10.0.0.7:8443 tls#3 api.test" → "10.0.0.7:8443"). An absl::string_view
// (Debian's Abseil has its own), for lookups without a copy.
inline absl::string_view PoolKeyEndpoint(std::string_view key) {
  std::string_view endpoint = key.substr(0, key.find(' '));
  return absl::string_view(endpoint.data(), endpoint.size());
}

// `Conn` has `const std::string& key() const` and `void Close()`; Close
// calls Remove when the connection is pooled (UpstreamConnection does).
template <typename Conn>
class BasicConnectionPool {
 public:
  explicit BasicConnectionPool(size_t max_idle_per_endpoint) : max_idle_(max_idle_per_endpoint) {}

  // An idle connection to `key`, removed from the pool; null if none.
  Conn* Take(const std::string& key) {
    auto it = idle_.find(key);
    if (it == idle_.end() || it->second.empty()) return nullptr;
    Conn* conn = it->second.back();
    it->second.pop_back();
    if (it->second.empty()) idle_.erase(it);
    Forget(key);
    return conn;
  }

  // Parks an idle connection; closes it instead when its endpoint's share
  // is full.
  void Put(Conn* conn) {
    size_t& parked = per_endpoint_[PoolKeyEndpoint(conn->key())];
    if (parked >= max_idle_) {
      if (parked == 0) per_endpoint_.erase(PoolKeyEndpoint(conn->key()));
      conn->Close();
      return;
    }
    ++parked;
    idle_[conn->key()].push_back(conn);
  }

  // Forgets a connection that is closing (no-op if it is not pooled).
  void Remove(Conn* conn) {
    auto it = idle_.find(conn->key());
    if (it == idle_.end()) return;
    auto& idle = it->second;
    auto found = std::find(idle.begin(), idle.end(), conn);
    if (found == idle.end()) return;
    idle.erase(found);
    if (idle.empty()) idle_.erase(it);
    Forget(conn->key());
  }

  // Closes every idle connection (shutdown).
  void CloseAll() {
    auto idle = std::move(idle_);
    idle_.clear();
    per_endpoint_.clear();
    for (auto& [_, conns] : idle) {
      for (Conn* conn : conns) conn->Close();
    }
  }

  size_t idle_count() const {
    size_t n = 0;
    for (const auto& [_, conns] : idle_) n += conns.size();
    return n;
  }

  size_t idle_count(std::string_view endpoint) const {
    auto it = per_endpoint_.find(absl::string_view(endpoint.data(), endpoint.size()));
    return it == per_endpoint_.end() ? 0 : it->second;
  }

 private:
  void Forget(std::string_view key) {
    auto it = per_endpoint_.find(PoolKeyEndpoint(key));
    if (it != per_endpoint_.end() && --it->second == 0) per_endpoint_.erase(it);
  }

  size_t max_idle_;
  absl::flat_hash_map<std::string, std::vector<Conn*>> idle_;
  absl::flat_hash_map<std::string, size_t> per_endpoint_;
};

using ConnectionPool = BasicConnectionPool<UpstreamConnection>;

}  // namespace portico::dataplane
