// TcpRouting: the TCP routes of one config (IngressRouteTCP), their
// middlewares and transports, validated and indexed once off the worker
// loops and shared, immutable, by every worker. Routes are split by kind:
// TLS routes (passthrough or terminating) are matched on the ClientHello's
// server name and ALPN; plain routes (HostSNI(`*`), maybe with ClientIP)
// on the client address only. Each kind is a RouteTable (the HTTP route
// index: by exact host, wildcard, any host; snapshot order is match order).
// Thread-safe after Build. Owned by shared_ptr (RuntimeConfig's, shared with
// the configs an endpoint-only change derives): a spliced connection keeps
// only this (shared_from_this), not the whole config.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "dataplane/config/config_error.h"
#include "dataplane/config/service_catalog.h"
#include "dataplane/l4/l4_metrics.h"
#include "dataplane/net/cidr_set.h"
#include "dataplane/route/route_table.h"
#include "dataplane/tls/tls_context_table.h"
#include "dataplane/tls/upstream_tls.h"
#include "dataplane/upstream/edf_schedule.h"
#include "portico/v1/snapshot.pb.h"

namespace portico::dataplane {

// ServersTransportTCP with its defaults applied.
struct TcpTransport {
  std::string name;
  uint64_t dial_timeout_ms = 30'000;
  uint64_t keep_alive_ms = 15'000;  // 0: no keep-alive probes
  uint64_t termination_delay_ms = 100;
  int proxy_protocol = 0;  // 0, 1 or 2
  // For backends dialled with TLS: null when no such backend dials
  // through this transport.
  std::shared_ptr<const UpstreamTlsContext> tls;
};

struct TcpBackend {
  std::string cluster;     // RuntimeConfig::cluster(name) at dial time
  std::string cursor_key;  // "c/<cluster>": the worker's endpoint cursor (Worker::L4Cursor)
  bool tls = false;
  const TcpTransport* transport = nullptr;  // never null (the defaults when unnamed)
};

struct TcpMiddlewareSpec {
  std::string name;
  uint32_t in_flight_conn = 0;  // 0: not an inFlightConn middleware
  std::optional<CidrSet> ip_allow_list;
};

enum class TcpTlsMode : uint8_t { kNone, kPassthrough, kTerminate };

// What a matched TCP route does with the connection.
struct TcpAction {
  std::string route;       // TcpRoute.name
  std::string cursor_key;  // "r/<route>": the worker's WRR cursor (Worker::L4Cursor)
  TcpTlsMode tls = TcpTlsMode::kNone;
  std::shared_ptr<const TlsServerContext> tls_context;  // kTerminate: the route's TLS option
  std::vector<const TcpMiddlewareSpec*> middlewares;
  std::vector<TcpBackend> backends;
  // Smooth weighted round robin over the backends with weight > 0:
  // schedule index → backends index. Null: no backend takes connections.
  std::shared_ptr<const EdfSchedule> schedule;
  std::vector<uint32_t> scheduled;
  L4RouteCounters* counters = nullptr;  // process-wide, by route name
};

class TcpRouting : public std::enable_shared_from_this<TcpRouting> {
 public:
  // False with *error (naming the route, middleware or transport) when a
  // reference does not resolve or a value is invalid. `clusters` and `tls`
  // are the config's own.
  bool Build(const v1::Snapshot& snapshot, const ServiceCatalog::ClusterMap& clusters,
             const TlsContextTable& tls, ConfigError* error);

  // What an entrypoint must do with a new connection.
  struct EntrypointUse {
    bool tls = false;    // some TLS route may match: peek for a ClientHello
    bool plain = false;  // some plain route may match
  };
  EntrypointUse For(std::string_view entrypoint) const;
  bool empty() const { return actions_.empty(); }

  // `input.host` is the server name, `input.alpn` the offered protocols.
  const TcpAction* MatchTls(const MatchInput& input, std::string_view entrypoint) const;
  const TcpAction* MatchPlain(const MatchInput& input, std::string_view entrypoint) const;
  // Every cluster a route names (for checks when only endpoints change).
  const std::vector<std::string>& clusters() const { return clusters_; }

 private:
  bool AddTransports(const v1::Snapshot& snapshot, ConfigError* error);
  bool AddMiddlewares(const v1::Snapshot& snapshot, ConfigError* error);
  bool AddRoute(const v1::TcpRoute& pr, const ServiceCatalog::ClusterMap& clusters,
                const TlsContextTable& tls, ConfigError* error);

  TcpTransport default_transport_;
  std::deque<TcpTransport> transports_;  // stable addresses
  absl::flat_hash_map<std::string, const TcpTransport*> transport_by_name_;
  std::deque<TcpMiddlewareSpec> middlewares_;
  absl::flat_hash_map<std::string, const TcpMiddlewareSpec*> middleware_by_name_;
  std::vector<TcpAction> actions_;  // Route::action indexes this
  std::vector<Route> tls_routes_;
  std::vector<Route> plain_routes_;
  std::unique_ptr<RouteTable> tls_table_;
  std::unique_ptr<RouteTable> plain_table_;
  EntrypointUse every_;  // routes without entrypoints
  absl::flat_hash_map<std::string, EntrypointUse> by_entrypoint_;
  std::vector<std::string> clusters_;
};

}  // namespace portico::dataplane
