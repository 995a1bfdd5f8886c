// HealthStatus: the verdicts of the active health checks at one moment,
// which endpoints of which service are down. Built by the HealthProber on
// its thread and published as shared_ptr<const HealthStatus>; immutable
// afterwards, so any thread may read it without locks.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"

namespace portico::dataplane {

struct DownEndpoint {
  std::string service;
  std::string endpoint;
  std::string reason;  // of the check that marked it down: "status 500", "timeout", ...
};

class HealthStatus {
 public:
  // All healthy.
  HealthStatus() = default;
  // The endpoints the checks marked down; a repeated (service, endpoint) counts once.
  explicit HealthStatus(const std::vector<DownEndpoint>& down);

  // True when active checks marked `endpoint` ("10.0.0.1:8080" / "[::1]:8080") of the service
  // `service` (v1::Service.name) down. Unknown service or endpoint: false (healthy).
  bool Down(std::string_view service, std::string_view endpoint) const;
  size_t down_count() const { return down_count_; }
  // Why `endpoint` of `service` is down; "" when it is not.
  std::string_view Reason(std::string_view service, std::string_view endpoint) const;
  // The down endpoints of `service`, sorted (for logs and the admin page).
  std::vector<std::string> DownEndpoints(std::string_view service) const;

 private:
  // service → endpoint → reason
  absl::flat_hash_map<std::string, absl::flat_hash_map<std::string, std::string>> down_;
  size_t down_count_ = 0;
};

}  // namespace portico::dataplane
