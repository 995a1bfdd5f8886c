// Settings every worker reads; fixed at start-up from the command line.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "dataplane/net/cidr_set.h"

namespace portico::dataplane {

struct EntrypointSpec {
  std::string name;  // "web"
  std::string host;  // listen address
  int port = 0;      // 0 before start-up resolves it
  // Peers whose X-Forwarded-* / X-Real-Ip / Forwarded headers are kept
  // (Traefik's forwardedHeaders.trustedIPs); from anyone else they are replaced.
  CidrSet trusted_ips;
  // Open client connections on this entrypoint, all workers together; more
  // are accepted and closed at once.
  int max_connections = 20'000;
  bool tls = true;  // a connection opening with a TLS ClientHello is terminated (else plaintext)
  bool udp = false;  // a UDP entrypoint ("HOST:PORT/udp"): IngressRouteUDP only
};

// Outlier detection from the requests a worker proxies (passive_health.h).
struct PassiveHealthPolicy {
  int consecutive_failures = 5;        // 0 turns passive health off
  uint64_t base_ejection_ms = 10'000;  // first ejection; the n-th lasts n times this
  uint64_t max_ejection_ms = 300'000;
  int max_ejected_percent = 50;
  // > 0: a run of failures counts only while within this long of its first
  // failure (Traefik's passiveHealthCheck.failureWindow); 0: no limit.
  uint64_t failure_window_ms = 0;
};

struct ProxyLimits {
  size_t max_header_bytes = 32 * 1024;   // request line + headers → 431
  size_t max_headers = 100;              // header count → 431
  size_t max_uri_bytes = 8 * 1024;       // request-target → 414
  size_t max_idle_per_endpoint = 64;     // pooled upstream connections, per worker
  size_t write_high_water = 256 * 1024;  // pause the other side above this
  uint64_t header_timeout_ms = 30'000;   // client must send its head within → 408
  uint64_t idle_timeout_ms = 60'000;     // idle keep-alive client connection
  uint64_t upstream_idle_timeout_ms = 30'000;
  uint64_t connect_timeout_ms = 5'000;    // → 502
  uint64_t response_timeout_ms = 60'000;  // upstream response head → 504
  uint64_t tunnel_idle_timeout_ms = 3'600'000;  // upgraded (WebSocket) connection with no traffic
  // On an entrypoint with TLS TCP routes: how long a new connection may take
  // to send its first bytes (a whole ClientHello) before it is routed.
  uint64_t tcp_peek_timeout_ms = 10'000;
  // A UDP session (one client address) with no datagram either way this
  // long is closed (Traefik's udp.timeout).
  uint64_t udp_timeout_ms = 3'000;
  size_t udp_max_sessions = 10'000;  // per UDP entrypoint and worker; more clients are dropped
  PassiveHealthPolicy passive_health;
};

}  // namespace portico::dataplane
