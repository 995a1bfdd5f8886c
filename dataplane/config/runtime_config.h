// RuntimeConfig: everything a worker needs to serve requests, built from one
// snapshot off the worker loops and never modified afterwards. Workers share
// it through shared_ptr<const RuntimeConfig>; a request keeps the one it
// started with, so a new snapshot never changes a request in flight.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "dataplane/config/cluster.h"
#include "dataplane/config/service_catalog.h"
#include "dataplane/route/route_table.h"
#include "dataplane/tls/tls_server_context.h"
#include "portico/v1/snapshot.pb.h"

namespace portico::dataplane {

// Traefik's retry middleware, as a route applies it.
struct RetrySpec {
  uint32_t attempts = 1;  // tries in all, the first included
  uint64_t initial_interval_ms = 0;  // before the second try; doubles after
  bool retry_non_idempotent = false;
  bool disable_on_network_error = false;
};

// What a route does with a request: where it goes and with which policies.
// Owned by the RuntimeConfig; shared by the routes that are the same.
struct RouteAction {
  std::shared_ptr<const PickerFactory> backend;  // null: answer 503 with `refusal`
  std::string refusal;  // why the route cannot be served ("" when it can)
  std::optional<RetrySpec> retry;
  // 0: the proxy's default (flags).
  uint64_t connect_timeout_ms = 0;
  uint64_t response_header_timeout_ms = 0;
  uint64_t total_timeout_ms = 0;
};

class RuntimeConfig {
 public:
  // Validates the snapshot (every reference resolves, addresses and hosts
  // are well formed). On failure returns null and sets *error to a precise
  // message naming the offending resource.
  // `previous`, the config being replaced (may be null), lends balancing
  // tables that did not change.
  static std::shared_ptr<const RuntimeConfig> Build(const v1::Snapshot& snapshot,
                                                    std::string* error,
                                                    const RuntimeConfig* previous = nullptr);

  const std::string& version() const { return version_; }
  // Routes for plaintext requests, and for requests that came over TLS
  // (routes with RouteTls): each kind serves only its own requests.
  const RouteTable& routes() const { return *table_; }
  const RouteTable& tls_routes() const { return *tls_table_; }
  size_t route_count() const { return routes_.size() + tls_routes_.size(); }
  // Terminates TLS for new handshakes: the snapshot's certificates (parsed,
  // key checked) and the default one. Never null.
  const std::shared_ptr<const TlsServerContext>& tls() const { return tls_; }
  size_t cluster_count() const { return clusters_.size(); }
  const ServiceCatalog& services() const { return services_; }

 private:
  RuntimeConfig() = default;
  bool AddClusters(const v1::Snapshot& snapshot, std::string* error);
  bool AddRoutes(const v1::Snapshot& snapshot, std::string* error);
  // The action of one snapshot route; null with *error when a reference
  // does not resolve.
  const RouteAction* ActionFor(const v1::Route& route,
                               const absl::flat_hash_map<std::string, const v1::Middleware*>& middlewares,
                               std::string* error);
  bool AddTls(const v1::Snapshot& snapshot, std::string* error);

  std::string version_;
  // Clusters are heap nodes so that Route::cluster pointers stay valid.
  absl::flat_hash_map<std::string, std::unique_ptr<Cluster>> clusters_;
  ServiceCatalog services_;
  std::vector<std::unique_ptr<RouteAction>> actions_;
  // Routes with the same backend and policies share one action.
  absl::flat_hash_map<std::string, const RouteAction*> action_by_key_;
  std::vector<Route> routes_;
  std::vector<Route> tls_routes_;
  std::unique_ptr<RouteTable> table_;
  std::unique_ptr<RouteTable> tls_table_;
  std::shared_ptr<const TlsServerContext> tls_;
};

// The TLS context of a proxy that has no snapshot yet: the generated
// default certificate only (requests then get 503, as over plaintext).
const std::shared_ptr<const TlsServerContext>& BootstrapTlsContext();

// Parses an IP literal and port into a socket address; false if malformed.
bool ParseEndpointAddress(const std::string& ip, uint32_t port, sockaddr_storage* out);

}  // namespace portico::dataplane
