#include "controlplane/crd/ingress_route_l4.h"

#include "controlplane/crd/ingress_route.h"
#include "controlplane/model/dns_names.h"

namespace portico::controlplane::crd {
namespace {

// Name, namespace, port, weight, nativeLB, nodePortLB: what TCP and UDP
// service references share.
template <typename Ref>
void ReadL4Service(CrdReader& r, Ref* out) {
  r.String("name", &out->name, Need::kRequired);
  r.String("namespace", &out->namespace_name);
  r.Port("port", &out->port, Need::kRequired);
  r.Int("weight", &out->weight, {.min = 0});
  r.Bool("nativeLB", &out->native_lb);
  r.Bool("nodePortLB", &out->node_port_lb);
  if (!out->name.empty() && !IsDnsLabel(out->name)) {
    r.Fail("name", "must be a DNS label (a Service name), got " + Quoted(out->name));
  }
  if (!out->namespace_name.empty() && !IsDnsLabel(out->namespace_name)) {
    r.Fail("namespace", "must be a DNS label (a namespace), got " + Quoted(out->namespace_name));
  }
}

void ReadTcpService(CrdReader& r, TcpServiceRef* out) {
  ReadL4Service(r, out);
  r.Bool("tls", &out->tls);
  r.String("serversTransport", &out->servers_transport);
  r.Object("proxyProtocol", [&](CrdReader& pp) {
    out->proxy_protocol_version = 2;  // Traefik's default for an empty section
    pp.Int("version", &out->proxy_protocol_version, {.min = 1, .max = 2});
  });
  r.Int("terminationDelay", &out->termination_delay_ms);
}

void ReadTcpRoute(CrdReader& r, TcpRoute* out) {
  r.String("match", &out->match, Need::kRequired);
  r.Int("priority", &out->priority, {.max = kMaxRoutePriority});
  r.Enum("syntax", {"v3", "v2"}, &out->syntax);
  r.List("middlewares", &out->middlewares, ReadObjectRef);
  r.List("services", &out->services, ReadTcpService);
}

void ReadUdpRoute(CrdReader& r, UdpRoute* out) {
  r.List("services", &out->services, ReadL4Service<UdpServiceRef>);
}

}  // namespace

void ReadIngressRouteTcpSpec(CrdReader& r, IngressRouteTcpSpec* out) {
  r.String("ingressClassName", &out->ingress_class_name);
  r.StringList("entryPoints", &out->entry_points);
  r.List("routes", &out->routes, ReadTcpRoute, Need::kRequired);
  r.OptionalObject("tls", &out->tls,
                   [](CrdReader& tls, RouteTls* t) { ReadRouteTls(tls, t, true); });
}

void ReadIngressRouteUdpSpec(CrdReader& r, IngressRouteUdpSpec* out) {
  r.String("ingressClassName", &out->ingress_class_name);
  r.StringList("entryPoints", &out->entry_points);
  r.List("routes", &out->routes, ReadUdpRoute, Need::kRequired);
}

std::string DecodeCrd(const JsonField& object, IngressRouteTcp* out) {
  if (std::string e = DecodeCrdInfo(object, &out->crd); !e.empty()) return e;
  return DecodeSpec(object, &ReadIngressRouteTcpSpec, &out->spec, &out->crd.warnings);
}

std::string DecodeCrd(const JsonField& object, IngressRouteUdp* out) {
  if (std::string e = DecodeCrdInfo(object, &out->crd); !e.empty()) return e;
  return DecodeSpec(object, &ReadIngressRouteUdpSpec, &out->spec, &out->crd.warnings);
}

}  // namespace portico::controlplane::crd
