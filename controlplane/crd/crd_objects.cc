#include "controlplane/crd/crd_objects.h"

#include <array>

namespace portico::controlplane::crd {
namespace {

template <typename Spec, void (*Read)(CrdReader&, Spec*)>
SchemaCatalog Describe() {
  return DescribeSpec(Read);
}

constexpr std::array kCrdKinds = {
    CrdKindInfo{"IngressRoute", "ingressroutes",
                &Describe<IngressRouteSpec, &ReadIngressRouteSpec>},
    CrdKindInfo{"IngressRouteTCP", "ingressroutetcps",
                &Describe<IngressRouteTcpSpec, &ReadIngressRouteTcpSpec>},
    CrdKindInfo{"IngressRouteUDP", "ingressrouteudps",
                &Describe<IngressRouteUdpSpec, &ReadIngressRouteUdpSpec>},
    CrdKindInfo{"Middleware", "middlewares", &Describe<MiddlewareSpec, &ReadMiddlewareSpec>},
    CrdKindInfo{"MiddlewareTCP", "middlewaretcps",
                &Describe<MiddlewareTcpSpec, &ReadMiddlewareTcpSpec>},
    CrdKindInfo{"TLSOption", "tlsoptions", &Describe<TlsOptionSpec, &ReadTlsOptionSpec>},
    CrdKindInfo{"TLSStore", "tlsstores", &Describe<TlsStoreSpec, &ReadTlsStoreSpec>},
    CrdKindInfo{"ServersTransport", "serverstransports",
                &Describe<ServersTransportSpec, &ReadServersTransportSpec>},
    CrdKindInfo{"ServersTransportTCP", "serverstransporttcps",
                &Describe<ServersTransportTcpSpec, &ReadServersTransportTcpSpec>},
    CrdKindInfo{"WeightedService", "weightedservices",
                &Describe<WeightedServiceSpec, &ReadWeightedServiceSpec>},
};

}  // namespace

std::span<const CrdKindInfo> CrdKinds() { return kCrdKinds; }

}  // namespace portico::controlplane::crd
