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
#include "absl/container/flat_hash_set.h"
#include "common/snapshot/shared_snapshot.h"
#include "dataplane/config/cluster.h"
#include "dataplane/config/config_error.h"
#include "dataplane/config/service_catalog.h"
#include "dataplane/l4/tcp_routing.h"
#include "dataplane/l4/udp_routing.h"
#include "dataplane/route/route_table.h"
#include "dataplane/tls/tls_context_table.h"
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
  // What `backend` and `refusal` were made of, to rebuild the action over
  // new endpoints (RuntimeConfig::WithEndpoints).
  std::string service;             // Service.name, or
  std::string cluster;             // Cluster.name (routes that name a cluster)
  std::string middleware_refusal;  // a middleware the proxy cannot run
};

class RuntimeConfig {
 public:
  // Validates the snapshot (every reference resolves, addresses and hosts
  // are well formed). On failure returns null and sets *error to a precise
  // message naming the offending resource, and that resource's key.
  // `previous`, the config being replaced (may be null), lends balancing
  // tables that did not change.
  static std::shared_ptr<const RuntimeConfig> Build(const SharedSnapshot& snapshot,
                                                    ConfigError* error,
                                                    const RuntimeConfig* previous = nullptr);
  // The same from a whole message (tests, tools), and with the message only.
  static std::shared_ptr<const RuntimeConfig> Build(const v1::Snapshot& snapshot,
                                                    ConfigError* error,
                                                    const RuntimeConfig* previous = nullptr);
  static std::shared_ptr<const RuntimeConfig> Build(const v1::Snapshot& snapshot,
                                                    std::string* error,
                                                    const RuntimeConfig* previous = nullptr);

  // The fast path of an endpoint-only change: `snapshot` differs from the
  // one `previous` was built from in its clusters only (a delta that
  // replaced no other field). Routes, their tables and TLS are shared with
  // `previous`; clusters, services and route actions are rebuilt. Null with
  // *error as Build.
  // `changed_clusters`: the clusters the delta upserted or removed; the
  // others (and the balancers over them) are shared with `previous`.
  static std::shared_ptr<const RuntimeConfig> WithEndpoints(
      const RuntimeConfig& previous, const SharedSnapshot& snapshot,
      const absl::flat_hash_set<std::string>& changed_clusters, ConfigError* error);

  const std::string& version() const { return version_; }
  // Routes for plaintext requests, and for requests that came over TLS
  // (routes with RouteTls): each kind serves only its own requests.
  const RouteTable& routes() const { return *routing_->table; }
  const RouteTable& tls_routes() const { return *routing_->tls_table; }
  size_t route_count() const { return routing_->routes.size() + routing_->tls_routes.size(); }
  // What to do with a request a route matched (Route::action); null for
  // kNoAction.
  const RouteAction* action(uint32_t index) const {
    return index < actions_.size() ? &actions_[index] : nullptr;
  }
  // Terminates TLS for new handshakes: one context per TLS option, each
  // with the snapshot's certificates (parsed, key checked) and the default
  // one, chosen by server name.
  const TlsContextTable& tls() const { return *tls_; }
  size_t cluster_count() const { return clusters_.size(); }
  // A cluster by name (TCP and UDP backends); null if there is none.
  const Cluster* cluster(const std::string& name) const {
    auto it = clusters_.find(name);
    return it == clusters_.end() ? nullptr : it->second.get();
  }
  // TCP routes, their middlewares and transports (empty without any).
  const TcpRouting& tcp() const { return *tcp_; }
  const UdpRouting& udp() const { return *udp_; }
  const ServiceCatalog& services() const { return services_; }

 private:
  RuntimeConfig() = default;
  // With `previous` and `changed`: clusters not in `changed` are shared.
  bool AddClusters(const SharedSnapshot& snapshot, ConfigError* error,
                   const RuntimeConfig* previous = nullptr,
                   const absl::flat_hash_set<std::string>* changed = nullptr);
  bool AddServices(const SharedSnapshot& snapshot, const ServiceCatalog* previous,
                   const absl::flat_hash_set<std::string>* changed_clusters, ConfigError* error);
  bool AddRoutes(const SharedSnapshot& snapshot, ConfigError* error);
  // Resolves an action's backend in this config's services.
  bool ResolveBackend(RouteAction* action, std::string* error) const;
  // Reuses `previous`'s TLS table when what it was built from is the same:
  // certificates are parsed and contexts made only when they changed.
  bool AddTls(const SharedSnapshot& snapshot, const RuntimeConfig* previous, ConfigError* error);
  // Contexts for the rest's TLS options, bound to tls_inputs_'s hosts.
  bool AddTlsContexts(const v1::Snapshot& rest, std::shared_ptr<const CertificateStore> store,
                      ConfigError* error);

  // What the TLS table is made of and checked against: the snapshot's
  // fields other than routes and clusters (certificates, TLS options among
  // them), the TLS routes' hosts with the option each names, and the
  // option every TLS route names (with a host or not).
  struct TlsRoute {
    std::string route;
    std::string option;
    bool operator==(const TlsRoute&) const = default;
  };
  struct TlsInputs {
    PartHash rest_hash{};
    std::vector<TlsContextTable::HostOption> hosts;
    std::vector<TlsRoute> routes;
    bool operator==(const TlsInputs&) const = default;
  };

  // What an endpoint-only change leaves as it is.
  struct Routing {
    std::vector<Route> routes;
    std::vector<Route> tls_routes;
    std::unique_ptr<RouteTable> table;  // over `routes`
    std::unique_ptr<RouteTable> tls_table;
  };

  std::string version_;
  // Clusters are heap nodes so that pointers into them stay valid.
  ServiceCatalog::ClusterMap clusters_;
  ServiceCatalog services_;
  std::vector<RouteAction> actions_;  // routes with the same backend and policies share one
  std::shared_ptr<const Routing> routing_;
  std::shared_ptr<const TlsContextTable> tls_;
  TlsInputs tls_inputs_;
  std::shared_ptr<const TcpRouting> tcp_;  // an endpoint-only change keeps these two
  std::shared_ptr<const UdpRouting> udp_;
};

// The TLS context of a proxy that has no snapshot yet: the generated
// default certificate only (requests then get 503, as over plaintext).
const std::shared_ptr<const TlsServerContext>& BootstrapTlsContext();

// Parses an IP literal and port into a socket address; false if malformed.
bool ParseEndpointAddress(const std::string& ip, uint32_t port, sockaddr_storage* out);

}  // namespace portico::dataplane
