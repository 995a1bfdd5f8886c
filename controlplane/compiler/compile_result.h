// Portico's own routing model, the compiler's output: routes in match order,
// the clusters they use, and a diagnostic for every object problem. Plain
// values; the one protobuf inside is a compiled rule (controlplane/rules
// produces it in that form), shared and immutable.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "portico/v1/match.pb.h"

namespace portico::controlplane {

enum class PathKind { kPrefix, kExact };

struct Endpoint {
  std::string address;  // canonical IP literal
  uint32_t port = 0;
  bool terminating = false;  // serving but terminating: used only when nothing is ready
  bool operator==(const Endpoint&) const = default;
};

struct Cluster {
  std::string name;  // "<namespace>/<service>:<port name, or number if unnamed>"
  std::vector<Endpoint> endpoints;
  bool operator==(const Cluster&) const = default;
};

// A compiled rule, shared between copies of a route. Equal when the trees
// are (serialized bytes compared).
struct RouteMatch {
  std::shared_ptr<const v1::Matcher> tree;  // null: no rule (Ingress routes)
  bool operator==(const RouteMatch& other) const {
    if (tree == other.tree) return true;
    return tree != nullptr && other.tree != nullptr &&
           tree->SerializeAsString() == other.tree->SerializeAsString();
  }
};

// Per-route timeouts in milliseconds (a Portico extension); 0: the proxy's
// default.
struct RouteTimeouts {
  uint64_t connect_ms = 0;
  uint64_t response_header_ms = 0;
  uint64_t total_ms = 0;
  bool operator==(const RouteTimeouts&) const = default;
};

struct Route {
  std::string name;  // "<ns>/<ingress>/r<rule>/p<path>" or "<ns>/<ingress>/default"
  std::string host;  // lowercase exact host, "*.suffix", or "" for any host
  PathKind kind = PathKind::kPrefix;
  std::string path;     // Prefix paths carry no trailing '/' ("/" stays "/")
  std::string cluster;  // Ingress routes: "" when the backend did not resolve (503)
  // IngressRoute routes: Service::name in place of `cluster`; "" when the
  // route cannot be served as written (503).
  std::string service;
  std::vector<std::string> middlewares;  // Middleware::name, in the order they apply
  RouteTimeouts timeouts;
  std::string source;  // "Ingress/<namespace>/<name>" or "IngressRoute/<namespace>/<name>"
  RouteMatch match;    // IngressRoute: the rule; `host` and `path` are then unused
  std::vector<std::string> hosts;        // hosts every match requires; empty: any
  int64_t priority = 0;                  // routes sort by it, descending
  std::vector<std::string> entrypoints;  // serves only there; empty: everywhere
  bool tls = false;                      // serves TLS requests only (else plaintext only)
  std::string tls_options;               // TlsOption::name for a TLS route; "" = the default option
  bool operator==(const Route&) const = default;
  // Keeps the route, answering 503: it cannot be served as written, and a
  // lower-priority route must not take its requests.
  void MakeUnservable() {
    cluster.clear();
    service.clear();
    middlewares.clear();
  }
};

// What IngressRoute routes send to (snapshot.proto's Service and its parts;
// the proto comments are the contract).
enum class LbStrategy { kWrr, kP2c, kLeastRequests, kMaglev };

struct HashKey {
  enum class Source { kClientIp, kHeader, kCookie, kPath };
  Source source = Source::kClientIp;
  std::string name;  // header or cookie name
  bool operator==(const HashKey&) const = default;
};

struct StickyCookie {
  std::string name;
  bool secure = false;
  bool http_only = false;
  std::string same_site;  // "", "none", "lax", "strict"
  int64_t max_age = 0;
  std::string path;
  std::string domain;
  bool operator==(const StickyCookie&) const = default;
};

struct HealthCheck {
  std::string path;
  std::string scheme;
  std::string hostname;
  uint32_t port = 0;
  uint64_t interval_ms = 30000;
  uint64_t unhealthy_interval_ms = 0;
  uint64_t timeout_ms = 5000;
  std::map<std::string, std::string> headers;  // sorted by name
  uint32_t status = 0;
  bool follow_redirects = true;
  std::string method;
  uint32_t unhealthy_threshold = 1;
  uint32_t healthy_threshold = 1;
  bool operator==(const HealthCheck&) const = default;
};

struct LoadBalancedService {
  std::string cluster;  // Cluster::name
  LbStrategy strategy = LbStrategy::kWrr;
  HashKey hash_key;  // kMaglev only
  std::optional<StickyCookie> sticky;
  std::optional<HealthCheck> health_check;
  bool rewrite_host = false;
  std::string scheme;
  std::string servers_transport;  // "<namespace>/<name>"; "": default
  bool operator==(const LoadBalancedService&) const = default;
};

struct WeightedChild {
  std::string service;
  double weight = 1;
  bool operator==(const WeightedChild&) const = default;
};

struct WeightedServices {
  std::vector<WeightedChild> children;
  std::optional<StickyCookie> sticky;
  bool operator==(const WeightedServices&) const = default;
};

struct MirrorTarget {
  std::string service;
  uint32_t percent = 0;
  bool operator==(const MirrorTarget&) const = default;
};

struct MirroringService {
  std::string main;
  std::vector<MirrorTarget> mirrors;
  bool mirror_body = true;
  int64_t max_body_size = -1;
  bool operator==(const MirroringService&) const = default;
};

struct BackendService {
  // "<ns>/<ingressroute>/r<i>[/s<j>]" for a route's own services,
  // "WeightedService/<ns>/<name>[/...]" for a WeightedService and its parts.
  std::string name;
  std::variant<LoadBalancedService, WeightedServices, MirroringService> kind;
  bool operator==(const BackendService&) const = default;
};

// Traefik's retry middleware, defaults applied.
struct RetryPolicy {
  uint32_t attempts = 0;
  uint64_t initial_interval_ms = 100;
  bool retry_non_idempotent = false;
  bool disable_on_network_error = false;
  bool operator==(const RetryPolicy&) const = default;
};

struct Middleware {
  std::string name;  // "<namespace>/<name>"
  std::string type;  // Traefik's name of its kind: "retry", "headers", ...
  std::optional<RetryPolicy> retry;
  bool operator==(const Middleware&) const = default;
};

// A serving certificate from a kubernetes.io/tls Secret, checked by the
// TlsProcessor. The key is secret: never log it or put it in a message.
struct Certificate {
  std::string name;  // "<namespace>/<secret>"
  std::string cert_chain_pem;
  std::string private_key_pem;
  bool operator==(const Certificate&) const = default;
};

// Traefik's TLSOption, checked and resolved: names are the ones proxies map
// (IANA cipher suites for TLS <= 1.2, "P-256"/"X25519" groups). Unset and
// empty values mean the proxy's defaults. The enums follow proto/tls.proto's
// order.
enum class TlsVersion { kUnspecified, kTls10, kTls11, kTls12, kTls13 };
enum class ClientAuthType { kNone, kRequest, kRequireAny, kVerifyIfGiven, kRequireAndVerify };

struct TlsOption {
  std::string name;  // "<namespace>/<name>", or "default" (a TLSOption named default)
  TlsVersion min_version = TlsVersion::kUnspecified;
  TlsVersion max_version = TlsVersion::kUnspecified;
  std::vector<std::string> cipher_suites;
  std::vector<std::string> curve_preferences;
  std::vector<std::string> alpn_protocols;
  bool sni_strict = false;
  ClientAuthType client_auth = ClientAuthType::kNone;
  std::string client_ca_pem;  // public: the CA certificates of every clientAuth Secret
  std::vector<std::string> client_ca_secrets;  // "<namespace>/<secret>"
  bool disable_session_tickets = false;
  bool operator==(const TlsOption&) const = default;
};

// Traefik's ServersTransport, resolved by ServersTransportCompiler: how the
// proxy talks TLS to https backends. Private keys are secret: never log
// them or put them in a message.
struct ServersTransport {
  std::string name;         // "<namespace>/<name>"
  std::string server_name;  // "": the Host sent upstream
  bool insecure_skip_verify = false;
  std::string root_cas_pem;                  // public; "": the proxy's system trust store
  std::vector<std::string> root_ca_sources;  // "Secret/<namespace>/<name>"
  std::vector<Certificate> certificates;     // client certificates (mutual TLS)
  std::string peer_cert_uri;
  TlsVersion min_version = TlsVersion::kUnspecified;
  TlsVersion max_version = TlsVersion::kUnspecified;
  std::vector<std::string> cipher_suites;  // IANA names, TLS <= 1.2
  bool operator==(const ServersTransport&) const = default;
};

// TCP and UDP (IngressRouteTCP, IngressRouteUDP, MiddlewareTCP,
// ServersTransportTCP): proto/portico/v1/l4.proto's messages, whose
// comments are the contract.
struct L4Backend {
  std::string cluster;            // Cluster::name
  uint32_t weight = 1;            // 0: no new connections
  bool tls = false;               // TCP: dial the endpoint with TLS
  std::string servers_transport;  // TCP: ServersTransportTcp::name; "": the defaults
  bool operator==(const L4Backend&) const = default;
};

struct TcpRoute {
  std::string name;                      // "<namespace>/<ingressroutetcp>/r<index>"
  std::string source;                    // "IngressRouteTCP/<namespace>/<name>"
  std::vector<std::string> entrypoints;  // sorted, unique; empty: every TCP entrypoint
  RouteMatch match;
  std::vector<std::string> hosts;  // server names every match requires; empty: any
  int64_t priority = 0;
  std::vector<L4Backend> backends;       // empty: connections are closed
  std::vector<std::string> middlewares;  // TcpMiddleware::name, in order
  bool tls = false;                      // the object has `tls`
  bool passthrough = false;              // tls.passthrough
  std::string tls_options;               // TlsOption::name; "": the default option
  bool operator==(const TcpRoute&) const = default;
  // Keeps the route, closing its connections: it cannot be served as
  // written, and a lower-priority route must not take them.
  void MakeUnservable() {
    backends.clear();
    middlewares.clear();
  }
};

struct UdpRoute {
  std::string name;                      // "<namespace>/<ingressrouteudp>"
  std::string source;                    // "IngressRouteUDP/<namespace>/<name>"
  std::vector<std::string> entrypoints;  // sorted, unique; empty: every UDP entrypoint
  std::vector<L4Backend> backends;
  bool operator==(const UdpRoute&) const = default;
};

struct TcpMiddleware {
  std::string name;                        // "<namespace>/<name>"
  std::optional<uint32_t> in_flight_conn;  // inFlightConn.amount
  std::vector<std::string> ip_allow_list;  // set when in_flight_conn is not: canonical ranges
  bool operator==(const TcpMiddleware&) const = default;
};

// Durations in milliseconds; 0 means the proxy's default (l4.proto).
struct ServersTransportTcp {
  std::string name;  // "<namespace>/<name>", or a route service's derived one (docs)
  uint64_t dial_timeout_ms = 0;
  uint64_t dial_keep_alive_ms = 0;
  bool disable_keep_alive = false;
  uint64_t termination_delay_ms = 0;
  uint32_t proxy_protocol_version = 0;
  std::optional<ServersTransport> tls;  // private keys inside: never log them
  bool operator==(const ServersTransportTcp&) const = default;
};

// A problem with one object, shaped like a status condition so a later
// status writer can publish it unchanged.
struct Diagnostic {
  std::string object;  // "Ingress/<namespace>/<name>"
  std::string reason;  // CamelCase: BackendNotFound, PortNotFound, Conflict, Unsupported
  std::string message;
  bool operator==(const Diagnostic&) const = default;
};

struct CompileResult {
  std::vector<Route> routes;
  // Each sorted by name, only those some route uses.
  std::vector<Cluster> clusters;
  std::vector<BackendService> services;
  std::vector<Middleware> middlewares;
  std::vector<Certificate> certificates;  // sorted by name
  std::vector<TlsOption> tls_options;     // sorted by name; only those in use, and "default"
  std::string default_certificate;        // Certificate::name (TLSStore default); "" = generated
  // Sorted by name; only those the services use.
  std::vector<ServersTransport> servers_transports;
  // TCP and UDP: routes in match order (as `routes`), the rest sorted by
  // name and only those some route uses.
  std::vector<TcpRoute> tcp_routes;
  std::vector<UdpRoute> udp_routes;
  std::vector<TcpMiddleware> tcp_middlewares;
  std::vector<ServersTransportTcp> tcp_servers_transports;
  std::vector<Diagnostic> diagnostics;
  // Unix seconds: up to this time the same state compiles to the same
  // result; at it a certificate's validity period starts or ends. INT64_MAX
  // when no certificate was checked.
  int64_t valid_until = INT64_MAX;
};

}  // namespace portico::controlplane
