// InFlightConnections: Traefik's inFlightConn middleware state, the open
// connections of each client IP under each middleware, counted across every
// worker of this proxy process (not across proxy replicas). Keyed by
// middleware name, so a config swap that keeps the middleware keeps its
// counts. Thread-safe (one mutex, taken when a connection opens and closes).
#pragma once

#include <cstdint>
#include <mutex>
#include <string>

#include "absl/container/flat_hash_map.h"

namespace portico::dataplane {

class InFlightConnections {
 public:
  static InFlightConnections& Process();

  // Takes one of `limit` slots of (middleware, ip); false when all are taken.
  bool Acquire(const std::string& middleware, const std::string& ip, uint32_t limit);
  void Release(const std::string& middleware, const std::string& ip);
  uint32_t Count(const std::string& middleware, const std::string& ip) const;

 private:
  static std::string Key(const std::string& middleware, const std::string& ip) {
    return middleware + '|' + ip;
  }
  mutable std::mutex mu_;
  absl::flat_hash_map<std::string, uint32_t> open_;
};

}  // namespace portico::dataplane
