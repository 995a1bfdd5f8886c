// ProxyAdmin: the proxy's operational endpoints (/ping, /ready, /metrics,
// /config), answered on the admin port, never on a traffic port. Runs on the
// main loop's thread; reads worker counters and the publisher, both
// thread-safe.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/admin_server.h"
#include "dataplane/config/config_publisher.h"
#include "dataplane/metrics/request_counters.h"
#include "dataplane/worker/proxy_options.h"

namespace portico::dataplane {

class SnapshotClient;

struct EntrypointCounters {
  std::string entrypoint;
  std::vector<RequestCounters*> per_worker;
  const ConnectionGauge* connections = nullptr;
};

class ProxyAdmin {
 public:
  ProxyAdmin(const ConfigPublisher* publisher, const SnapshotClient* client,
             std::vector<EntrypointCounters> counters)
      : publisher_(publisher), client_(client), counters_(std::move(counters)) {}

  AdminResponse Handle(std::string_view method, std::string_view path) const;
  // A counter or gauge /metrics reads from elsewhere (the workers' sums,
  // the health prober's). Call before serving.
  void AddMetric(std::string name, std::string type, std::string help,
                 std::function<uint64_t()> read) {
    extra_.push_back({std::move(name), std::move(type), std::move(help), std::move(read)});
  }
  // After this /ready answers 503 (shutdown has begun).
  void SetShuttingDown() { shutting_down_.store(true); }

 private:
  std::string Metrics() const;
  std::string ConfigJson() const;

  const ConfigPublisher* publisher_;
  const SnapshotClient* client_;
  std::vector<EntrypointCounters> counters_;
  std::atomic<bool> shutting_down_{false};
  struct ExtraMetric {
    std::string name;
    std::string type;  // "counter" or "gauge"
    std::string help;
    std::function<uint64_t()> read;
  };
  std::vector<ExtraMetric> extra_;
};

}  // namespace portico::dataplane
