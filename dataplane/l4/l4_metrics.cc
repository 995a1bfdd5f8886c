#include "dataplane/l4/l4_metrics.h"

#include "absl/strings/str_cat.h"

namespace portico::dataplane {

L4Metrics& L4Metrics::Process() {
  static L4Metrics* metrics = new L4Metrics();  // never destroyed: workers may outlive main
  return *metrics;
}

L4RouteCounters* L4Metrics::Route(const std::string& kind, const std::string& name) {
  std::lock_guard lock(mu_);
  auto& slot = routes_[{kind, name}];
  if (slot == nullptr) slot = std::make_unique<L4RouteCounters>();
  return slot.get();
}

std::atomic<int64_t>* L4Metrics::OpenConnections(const std::string& kind,
                                                 const std::string& entrypoint) {
  std::lock_guard lock(mu_);
  auto& slot = open_[{kind, entrypoint}];
  if (slot == nullptr) slot = std::make_unique<std::atomic<int64_t>>(0);
  return slot.get();
}

void L4Metrics::Render(std::string* out) const {
  std::lock_guard lock(mu_);
  out->append(
      "# HELP portico_proxy_l4_open_connections Open proxied TCP connections (tcp) and UDP "
      "sessions (udp), by entrypoint.\n# TYPE portico_proxy_l4_open_connections gauge\n");
  for (const auto& [key, open] : open_) {
    absl::StrAppend(out, "portico_proxy_l4_open_connections{protocol=\"", key.first,
                    "\",entrypoint=\"", key.second, "\"} ", open->load(std::memory_order_relaxed),
                    "\n");
  }
  struct Family {
    const char* name;
    const char* help;
    std::atomic<uint64_t> L4RouteCounters::*field;
  };
  static const Family kFamilies[] = {
      {"portico_proxy_l4_accepted_total",
       "Connections (UDP: sessions) a TCP or UDP route sent to a backend.",
       &L4RouteCounters::accepted},
      {"portico_proxy_l4_refused_total",
       "Connections (UDP: datagrams of new sessions) a TCP or UDP route refused: a middleware, no "
       "backend reachable, or the UDP session limit.",
       &L4RouteCounters::refused},
      {"portico_proxy_l4_received_bytes_total", "Bytes read from clients, by route.",
       &L4RouteCounters::bytes_from_client},
      {"portico_proxy_l4_sent_bytes_total", "Bytes written to clients, by route.",
       &L4RouteCounters::bytes_to_client},
  };
  for (const Family& f : kFamilies) {
    absl::StrAppend(out, "# HELP ", f.name, " ", f.help, "\n# TYPE ", f.name, " counter\n");
    for (const auto& [key, counters] : routes_) {
      absl::StrAppend(out, f.name, "{protocol=\"", key.first, "\",route=\"", key.second, "\"} ",
                      (counters.get()->*f.field).load(std::memory_order_relaxed), "\n");
    }
  }
}

}  // namespace portico::dataplane
