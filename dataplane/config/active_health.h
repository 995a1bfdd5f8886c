// The glue between a RuntimeConfig and the proxy's one HealthProber: the
// targets a config asks to check (every endpoint of every cluster that a
// service gives a health check), and the prober's verdicts as the pickers
// read them. Targets are keyed by cluster name, as the pickers' state is.
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "dataplane/config/runtime_config.h"
#include "dataplane/upstream/endpoint_picker.h"
#include "dataplane/upstream/health_prober.h"
#include "dataplane/upstream/health_status.h"

namespace portico::dataplane {

std::vector<HealthTarget> HealthTargets(const RuntimeConfig& config);

class HealthStatusView final : public ActiveHealthView {
 public:
  explicit HealthStatusView(std::shared_ptr<const HealthStatus> status)
      : status_(std::move(status)) {}
  bool Down(std::string_view cluster, std::string_view endpoint) const override {
    return status_->Down(cluster, endpoint);
  }

 private:
  std::shared_ptr<const HealthStatus> status_;
};

}  // namespace portico::dataplane
