// L4Metrics: the counters of TCP (and UDP) proxying, process-wide and kept
// by name so that they survive config swaps: open TCP connections per
// entrypoint, connections accepted and refused per route, bytes each way.
// Pointers it hands out stay valid for the process's life. Lookups take a
// mutex (config builds and a connection's first accept on a listener);
// counting is relaxed atomics from any worker; Render runs on the admin
// thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace portico::dataplane {

struct L4RouteCounters {
  std::atomic<uint64_t> accepted{0};  // connections (sessions) sent to a backend
  std::atomic<uint64_t> refused{0};   // closed by a middleware, or no backend answered
  std::atomic<uint64_t> bytes_from_client{0};
  std::atomic<uint64_t> bytes_to_client{0};
};

class L4Metrics {
 public:
  static L4Metrics& Process();

  L4RouteCounters* Route(const std::string& kind, const std::string& name);
  std::atomic<int64_t>* OpenConnections(const std::string& kind, const std::string& entrypoint);
  // Appends the Prometheus text of every counter to *out.
  void Render(std::string* out) const;

 private:
  mutable std::mutex mu_;
  // Keyed by {"tcp"|"udp", name}.
  std::map<std::pair<std::string, std::string>, std::unique_ptr<L4RouteCounters>> routes_;
  std::map<std::pair<std::string, std::string>, std::unique_ptr<std::atomic<int64_t>>> open_;
};

}  // namespace portico::dataplane
