// ConnectionPool: one per worker; idle upstream connections keyed by the
// endpoint's identity, most recently used first. Not thread-safe.
#pragma once

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"

namespace portico::dataplane {

class UpstreamConnection;

class ConnectionPool {
 public:
  explicit ConnectionPool(size_t max_idle_per_endpoint) : max_idle_(max_idle_per_endpoint) {}

  // An idle connection to `key`, removed from the pool; null if none.
  UpstreamConnection* Take(const std::string& key);
  // Parks an idle connection; closes it instead when the endpoint's share is full.
  void Put(UpstreamConnection* conn);
  // Forgets a connection that is closing (no-op if it is not pooled).
  void Remove(UpstreamConnection* conn);
  // Closes every idle connection (shutdown).
  void CloseAll();
  size_t idle_count() const;

 private:
  size_t max_idle_;
  absl::flat_hash_map<std::string, std::vector<UpstreamConnection*>> idle_;
};

}  // namespace portico::dataplane
