// RuntimeConfig: everything a worker needs to serve requests, built from one
// snapshot off the worker loops and never modified afterwards. Workers share
// it through shared_ptr<const RuntimeConfig>; a request keeps the one it
// started with, so a new snapshot never changes a request in flight.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "dataplane/route/route_table.h"
#include "dataplane/tls/tls_context_table.h"
#include "dataplane/tls/tls_server_context.h"
#include "portico/v1/snapshot.pb.h"

namespace portico::dataplane {

struct Endpoint {
  sockaddr_storage address{};
  std::string key;  // "10.0.0.1:8080" or "[::1]:8080": the endpoint's identity
};

struct Cluster {
  std::string name;
  std::vector<Endpoint> ready;
  std::vector<Endpoint> terminating;  // used only when no endpoint is ready
  const std::vector<Endpoint>& active() const { return ready.empty() ? terminating : ready; }
};

class RuntimeConfig {
 public:
  // Validates the snapshot (every reference resolves, addresses and hosts
  // are well formed). On failure returns null and sets *error to a precise
  // message naming the offending resource.
  static std::shared_ptr<const RuntimeConfig> Build(const v1::Snapshot& snapshot,
                                                    std::string* error);

  const std::string& version() const { return version_; }
  // Routes for plaintext requests, and for requests that came over TLS
  // (routes with RouteTls): each kind serves only its own requests.
  const RouteTable& routes() const { return *table_; }
  const RouteTable& tls_routes() const { return *tls_table_; }
  size_t route_count() const { return routes_.size() + tls_routes_.size(); }
  // Terminates TLS for new handshakes: one context per TLS option, each
  // with the snapshot's certificates (parsed, key checked) and the default
  // one, chosen by server name.
  const TlsContextTable& tls() const { return *tls_; }
  size_t cluster_count() const { return clusters_.size(); }

 private:
  RuntimeConfig() = default;
  bool AddClusters(const v1::Snapshot& snapshot, std::string* error);
  bool AddRoutes(const v1::Snapshot& snapshot, std::string* error);
  bool AddTls(const v1::Snapshot& snapshot, std::string* error);
  bool AddTlsContexts(const v1::Snapshot& snapshot, std::shared_ptr<const CertificateStore> store,
                      std::string* error);

  std::string version_;
  // Clusters are heap nodes so that Route::cluster pointers stay valid.
  absl::flat_hash_map<std::string, std::unique_ptr<Cluster>> clusters_;
  std::vector<Route> routes_;
  std::vector<Route> tls_routes_;
  std::unique_ptr<RouteTable> table_;
  std::unique_ptr<RouteTable> tls_table_;
  std::unique_ptr<const TlsContextTable> tls_;
};

// The TLS context of a proxy that has no snapshot yet: the generated
// default certificate only (requests then get 503, as over plaintext).
const std::shared_ptr<const TlsServerContext>& BootstrapTlsContext();

// Parses an IP literal and port into a socket address; false if malformed.
bool ParseEndpointAddress(const std::string& ip, uint32_t port, sockaddr_storage* out);

}  // namespace portico::dataplane
