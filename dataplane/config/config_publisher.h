// ConfigPublisher: turns each snapshot the controller sends into a
// RuntimeConfig (off the worker loops), hands it to every worker, and keeps
// what the admin endpoint reports about it. Apply is called from the
// snapshot client's thread; the getters are thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "common/deferred_release.h"
#include "common/snapshot/shared_snapshot.h"
#include "dataplane/config/config_error.h"
#include "portico/v1/snapshot.pb.h"

namespace portico::dataplane {

class RuntimeConfig;
class Worker;

class ConfigPublisher {
 public:
  explicit ConfigPublisher(std::vector<Worker*> workers) : workers_(std::move(workers)) {}

  // Validates and applies; returns an empty message on success, else why it
  // was refused and the resource to blame (the last good config keeps
  // serving). `changed_clusters` set: the snapshot differs from the one
  // applied last in these clusters only, so routes, TLS, their tables and
  // every other cluster are kept (the fast path of an endpoint change).
  ConfigError Apply(std::shared_ptr<const SharedSnapshot> snapshot,
                    const absl::flat_hash_set<std::string>* changed_clusters = nullptr);
  // The same from a whole message (tests, tools).
  ConfigError Apply(v1::Snapshot snapshot,
                    const absl::flat_hash_set<std::string>* changed_clusters = nullptr);

  // Called (on the applying thread) with each config once the workers have
  // it: the proxy hands its health checks to the prober. Set before Apply.
  void SetOnApplied(std::function<void(const RuntimeConfig&)> on_applied) {
    on_applied_ = std::move(on_applied);
  }

  bool applied_any() const { return applies_.load() > 0; }
  std::string version() const;
  std::shared_ptr<const SharedSnapshot> snapshot() const;
  uint64_t applies() const { return applies_.load(); }
  uint64_t rejections() const { return rejections_.load(); }
  double last_apply_unix_seconds() const { return last_apply_unix_.load(); }
  double last_apply_duration_seconds() const { return last_apply_duration_.load(); }
  uint64_t endpoint_only_applies() const { return endpoint_only_applies_.load(); }

 private:
  std::vector<Worker*> workers_;
  std::function<void(const RuntimeConfig&)> on_applied_;
  mutable std::mutex mu_;
  std::shared_ptr<const SharedSnapshot> snapshot_;  // guarded by mu_
  std::shared_ptr<const RuntimeConfig> config_;    // guarded by mu_; the one applied last
  std::atomic<uint64_t> applies_{0};
  std::atomic<uint64_t> rejections_{0};
  std::atomic<uint64_t> endpoint_only_applies_{0};
  std::atomic<double> last_apply_unix_{0};
  std::atomic<double> last_apply_duration_{0};
  // Frees the replaced snapshot and config off the applying thread (and
  // outside mu_). Declared last: drains before the members above go.
  DeferredRelease release_;
};

}  // namespace portico::dataplane
