// Test support for the health prober: what it published, polling with a
// deadline, targets on loopback, and backends that misbehave at the TCP
// level (never answer, reset). Thread-safe where noted.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "dataplane/upstream/health_prober.h"
#include "dataplane/upstream/health_status.h"

namespace portico::dataplane::testing {

// Polls `done` every 2 ms until it holds or `limit` passes; true if it held.
bool WaitUntil(const std::function<bool()>& done,
               std::chrono::milliseconds limit = std::chrono::seconds(5));

// Records every published status with the prober's counters at that moment.
// Thread-safe.
class Publications {
 public:
  struct Entry {
    std::shared_ptr<const HealthStatus> status;
    uint64_t checks = 0;    // checks_total() when published
    uint64_t failures = 0;  // failures_total() when published
  };
  // Set before Start: the counters are read from it.
  void Watch(const HealthProber* prober) { prober_ = prober; }
  HealthProber::Publish Sink();
  size_t size() const;
  Entry at(size_t i) const;
  Entry last() const;

 private:
  mutable std::mutex mu_;
  std::vector<Entry> entries_;
  const HealthProber* prober_ = nullptr;
};

// A started prober whose publications are recorded, given `targets`.
struct Probing {
  Publications published;
  HealthProber prober{published.Sink(), HealthProberOptions{.seed = 7}};
  explicit Probing(std::vector<HealthTarget> targets) {
    published.Watch(&prober);
    prober.Start();
    prober.Update(std::move(targets));
  }
};

// A check of `path` every `interval_ms` with a 1 s timeout and thresholds of 1.
v1::HealthCheck FastCheck(const std::string& path = "/health", uint64_t interval_ms = 10);
// service "svc", endpoint "127.0.0.1:<port>".
HealthTarget LoopbackTarget(int port, const v1::HealthCheck& check,
                            const std::string& service = "svc");
std::string LoopbackEndpoint(int port);

// A listening socket on 127.0.0.1, port 0; *port gets the port.
int ListenLoopback(int* port);

// A TCP port on 127.0.0.1 that refuses connections (bound, then closed).
int ClosedPort();

// A listening socket that never accepts: connects complete, nothing answers.
class SilentListener {
 public:
  SilentListener();
  ~SilentListener();
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

// Accepts, reads what arrives for a moment, then closes with RST.
class ResettingBackend {
 public:
  ResettingBackend();
  ~ResettingBackend();
  int port() const { return port_; }
  int connections() const { return connections_.load(); }

 private:
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  std::thread thread_;
};

// A FakeBackend handler's answers.
std::string Answer(int status, const std::string& extra_headers = "");

}  // namespace portico::dataplane::testing
