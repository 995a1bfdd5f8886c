// Decoded ServersTransport (how the proxy talks HTTP to backends: TLS
// verification, client certificates, connection reuse, timeouts) and
// ServersTransportTCP (dial/keep-alive/half-close timing, PROXY protocol,
// TLS to TCP backends). Plain values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "controlplane/crd/crd_object.h"
#include "controlplane/crd/crd_reader.h"
#include "controlplane/model/object_meta.h"

namespace portico::controlplane::crd {

// A CA bundle from a Secret or a ConfigMap (exactly one is set).
struct RootCaRef {
  std::string secret;
  std::string config_map;
};

struct PeerCertSan {
  std::string type;  // "URI" or "DNSName"
  std::string value;
};

struct Spiffe {
  std::vector<std::string> ids;
  std::string trust_domain;
};

// What the HTTP and TCP transports' TLS settings share.
struct BackendTls {
  std::string server_name;
  bool insecure_skip_verify = false;
  std::vector<RootCaRef> root_cas;
  std::vector<std::string> root_cas_secrets;  // older form of rootCAs
  std::vector<std::string> certificates_secrets;
  std::string peer_cert_uri;  // deprecated by peerCertSANs
  std::vector<PeerCertSan> peer_cert_sans;
  std::optional<Spiffe> spiffe;
};

struct ForwardingTimeouts {
  std::optional<Duration> dial_timeout;             // 30s
  std::optional<Duration> response_header_timeout;  // 0: none
  std::optional<Duration> idle_conn_timeout;        // 90s
  std::optional<Duration> read_idle_timeout;        // HTTP/2 pings; 0: off
  std::optional<Duration> ping_timeout;             // 15s
};

struct ServersTransportSpec {
  BackendTls tls;                                  // at the root of the spec for HTTP transports
  std::optional<int64_t> max_idle_conns_per_host;  // -1: no reuse
  bool disable_http2 = false;
  std::vector<std::string> cipher_suites;
  std::string min_version;
  std::string max_version;
  std::optional<ForwardingTimeouts> forwarding_timeouts;
};

struct ServersTransport {
  ObjectMeta meta;
  CrdInfo crd;
  ServersTransportSpec spec;
};

struct ServersTransportTcpSpec {
  std::optional<Duration> dial_timeout;           // 30s
  std::optional<Duration> dial_keep_alive;        // 15s; negative disables
  std::optional<Duration> termination_delay;      // 100ms
  std::optional<int64_t> proxy_protocol_version;  // set when proxyProtocol is; {} = 2
  std::optional<BackendTls> tls;
};

struct ServersTransportTcp {
  ObjectMeta meta;
  CrdInfo crd;
  ServersTransportTcpSpec spec;
};

void ReadServersTransportSpec(CrdReader& spec, ServersTransportSpec* out);
void ReadServersTransportTcpSpec(CrdReader& spec, ServersTransportTcpSpec* out);
std::string DecodeCrd(const JsonField& object, ServersTransport* out);
std::string DecodeCrd(const JsonField& object, ServersTransportTcp* out);

}  // namespace portico::controlplane::crd
