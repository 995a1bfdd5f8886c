// HealthProber: the proxy's active health checks. One thread with its own
// libuv loop for the whole proxy (not per worker) checks every target on
// its interval and publishes an immutable HealthStatus whenever a verdict
// changes; the workers read whichever status was published last.
//
// Threading: Update and the counters may be called from any thread; Start,
// Stop and the destructor from the owner's; `publish` runs on the prober's
// thread.
#pragma once

#include <sys/socket.h>
#include <uv.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "dataplane/tls/openssl_handles.h"
#include "dataplane/upstream/health_probe.h"
#include "dataplane/upstream/health_status.h"
#include "portico/v1/snapshot.pb.h"

namespace portico::dataplane {

struct HealthTarget {
  std::string service;       // v1::Service.name
  std::string endpoint;      // endpoint identity "10.0.0.1:8080"
  sockaddr_storage address;  // the endpoint's address (port = the endpoint's port)
  v1::HealthCheck check;
};

struct HealthProberOptions {
  std::string ca_file;  // PEM trust anchors for https checks; "": the system trust store
  uint64_t seed = 0;    // of the first-check jitter; 0: random
  // A new target's first check comes at a random moment within this (or
  // its interval, if shorter), so a new config does not check all at once.
  uint64_t first_check_spread_ms = 1000;
};

class HealthProber {
 public:
  using Publish = std::function<void(std::shared_ptr<const HealthStatus>)>;
  // `publish` is called from the prober's thread whenever a verdict changes (and once after
  // the first Update with the initial, all-healthy status).
  explicit HealthProber(Publish publish);
  HealthProber(Publish publish, HealthProberOptions options);
  ~HealthProber();  // stops and joins
  HealthProber(const HealthProber&) = delete;
  HealthProber& operator=(const HealthProber&) = delete;

  void Start();  // starts the prober's own thread and libuv loop (once)
  // Thread-safe: the complete set of targets of a new config. State (consecutive results,
  // verdict) of a (service, endpoint, check) that is still there carries over; new targets
  // start healthy and are checked soon (spread with jitter, not all at once); gone ones stop.
  void Update(std::vector<HealthTarget> targets);
  void Stop();  // idempotent; the prober cannot be restarted, later Updates are ignored

  // Thread-safe counters for metrics.
  uint64_t checks_total() const { return checks_total_.load(std::memory_order_relaxed); }
  uint64_t failures_total() const { return failures_total_.load(std::memory_order_relaxed); }

 private:
  struct Target;

  static void OnWake(uv_async_t* async);
  static void OnTimer(uv_timer_t* timer);
  void Apply(std::vector<HealthTarget> targets);
  std::unique_ptr<Target> Add(HealthTarget spec);
  void Retire(std::unique_ptr<Target> target);
  void StartCheck(Target* t);
  void Launch(Target* t);
  void OnProbeDone(Target* t, ProbeResult result);
  void Record(Target* t, bool pass, const std::string& reason);
  void PublishIfChanged();
  void Shutdown();

  Publish publish_;
  HealthProberOptions options_;
  SslCtxPtr tls_;

  std::mutex mu_;  // guards pending_ and stop_requested_
  std::optional<std::vector<HealthTarget>> pending_;
  bool stop_requested_ = false;

  uv_loop_t loop_{};
  uv_async_t wake_{};
  std::thread thread_;
  bool started_ = false;
  bool stopped_ = false;

  // Loop thread only.
  absl::flat_hash_map<std::string, std::unique_ptr<Target>> targets_;
  std::mt19937_64 rng_;
  bool published_ = false;
  bool changed_ = false;

  std::atomic<uint64_t> checks_total_{0};
  std::atomic<uint64_t> failures_total_{0};
};

}  // namespace portico::dataplane
