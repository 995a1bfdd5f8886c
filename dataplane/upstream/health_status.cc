#include "dataplane/upstream/health_status.h"

#include <algorithm>

namespace portico::dataplane {
namespace {

// This Abseil's string_view is its own type, not std::string_view.
absl::string_view Absl(std::string_view s) { return {s.data(), s.size()}; }

}  // namespace

HealthStatus::HealthStatus(const std::vector<DownEndpoint>& down) {
  for (const DownEndpoint& d : down) {
    if (down_[d.service].try_emplace(d.endpoint, d.reason).second) ++down_count_;
  }
}

bool HealthStatus::Down(std::string_view service, std::string_view endpoint) const {
  auto it = down_.find(Absl(service));
  return it != down_.end() && it->second.contains(Absl(endpoint));
}

std::string_view HealthStatus::Reason(std::string_view service, std::string_view endpoint) const {
  auto it = down_.find(Absl(service));
  if (it == down_.end()) return {};
  auto e = it->second.find(Absl(endpoint));
  return e == it->second.end() ? std::string_view() : std::string_view(e->second);
}

std::vector<std::string> HealthStatus::DownEndpoints(std::string_view service) const {
  std::vector<std::string> out;
  if (auto it = down_.find(Absl(service)); it != down_.end()) {
    for (const auto& [endpoint, reason] : it->second) out.push_back(endpoint);
    std::sort(out.begin(), out.end());
  }
  return out;
}

}  // namespace portico::dataplane
