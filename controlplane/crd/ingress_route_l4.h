// Decoded IngressRouteTCP and IngressRouteUDP: TCP routes by a `match` rule
// kept as text (HostSNI, ClientIP, ALPN; parsed by controlplane/rules), UDP
// routes by entry point only. Plain values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "controlplane/crd/crd_object.h"
#include "controlplane/crd/crd_reader.h"
#include "controlplane/crd/route_tls.h"
#include "controlplane/crd/service_ref.h"
#include "controlplane/model/object_meta.h"

namespace portico::controlplane::crd {

struct TcpServiceRef {
  std::string name;
  std::string namespace_name;
  PortRef port;
  std::optional<int64_t> weight;
  bool tls = false;  // dial the backend with TLS
  std::string servers_transport;
  std::optional<bool> native_lb;
  bool node_port_lb = false;
  std::optional<int64_t> proxy_protocol_version;  // deprecated: ServersTransportTCP; {} = 2
  std::optional<int64_t> termination_delay_ms;    // deprecated: ServersTransportTCP
};

struct TcpRoute {
  std::string match;
  int64_t priority = 0;
  std::string syntax;
  std::vector<ObjectRef> middlewares;  // MiddlewareTCP
  std::vector<TcpServiceRef> services;
};

struct IngressRouteTcpSpec {
  std::string ingress_class_name;
  std::vector<std::string> entry_points;
  std::vector<TcpRoute> routes;
  std::optional<RouteTls> tls;
};

struct IngressRouteTcp {
  ObjectMeta meta;
  CrdInfo crd;
  IngressRouteTcpSpec spec;
};

struct UdpServiceRef {
  std::string name;
  std::string namespace_name;
  PortRef port;
  std::optional<int64_t> weight;
  std::optional<bool> native_lb;
  bool node_port_lb = false;
};

struct UdpRoute {
  std::vector<UdpServiceRef> services;
};

struct IngressRouteUdpSpec {
  std::string ingress_class_name;
  std::vector<std::string> entry_points;
  std::vector<UdpRoute> routes;
};

struct IngressRouteUdp {
  ObjectMeta meta;
  CrdInfo crd;
  IngressRouteUdpSpec spec;
};

void ReadIngressRouteTcpSpec(CrdReader& spec, IngressRouteTcpSpec* out);
void ReadIngressRouteUdpSpec(CrdReader& spec, IngressRouteUdpSpec* out);
std::string DecodeCrd(const JsonField& object, IngressRouteTcp* out);
std::string DecodeCrd(const JsonField& object, IngressRouteUdp* out);

}  // namespace portico::controlplane::crd
