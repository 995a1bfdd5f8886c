#include "controlplane/model/kind_registry.h"

#include <array>
#include <map>

#include "controlplane/crd/crd_kind_decoders.h"
#include "controlplane/model/cluster_state.h"

namespace portico::controlplane {
namespace {

template <typename T, std::string (*Decode)(const JsonField&, T*),
          std::map<ObjectKey, T> ClusterState::*Objects>
std::string DecodeInto(const JsonField& object, ObjectMeta meta, ClusterState* state,
                       std::string* first_origin) {
  std::map<ObjectKey, T>& objects = state->*Objects;
  auto existing = objects.find(meta.key());
  if (existing != objects.end()) {
    *first_origin = existing->second.meta.origin;
    return "";
  }
  T decoded;
  decoded.meta = std::move(meta);
  if (std::string e = Decode(object, &decoded); !e.empty()) return e;
  ObjectKey key = decoded.meta.key();
  objects.emplace(std::move(key), std::move(decoded));
  return "";
}

// An Ingress's class fields are read next to its spec so that the class
// rule (ingress_class.h) has them.
std::string DecodeIngressAndClass(const JsonField& object, Ingress* out) {
  if (std::string e = DecodeIngress(object, out); !e.empty()) return e;
  return DecodeIngressClassRef(object, &out->class_ref);
}

// IngressClass is cluster-scoped: a namespace in its manifest is ignored,
// as the API server does.
std::string DecodeIngressClassInto(const JsonField& object, ObjectMeta meta, ClusterState* state,
                                   std::string* first_origin) {
  meta.namespace_name.clear();
  return DecodeInto<IngressClass, &DecodeIngressClass, &ClusterState::ingress_classes>(
      object, std::move(meta), state, first_origin);
}

constexpr std::array kKinds = {
    KindEntry{"v1", "Service", &DecodeInto<Service, &DecodeService, &ClusterState::services>},
    KindEntry{"discovery.k8s.io/v1", "EndpointSlice",
              &DecodeInto<EndpointSlice, &DecodeEndpointSlice, &ClusterState::endpoint_slices>},
    KindEntry{"networking.k8s.io/v1", "Ingress",
              &DecodeInto<Ingress, &DecodeIngressAndClass, &ClusterState::ingresses>},
    KindEntry{"networking.k8s.io/v1", "IngressClass", &DecodeIngressClassInto},
    KindEntry{"v1", "Secret", &DecodeInto<Secret, &DecodeSecret, &ClusterState::secrets>},
    KindEntry{"portico.dev/v1alpha1", "IngressRoute",
              &crd::DecodeCrdKind<&crd::CrdObjects::ingress_routes>},
    KindEntry{"portico.dev/v1alpha1", "IngressRouteTCP",
              &crd::DecodeCrdKind<&crd::CrdObjects::ingress_routes_tcp>},
    KindEntry{"portico.dev/v1alpha1", "IngressRouteUDP",
              &crd::DecodeCrdKind<&crd::CrdObjects::ingress_routes_udp>},
    KindEntry{"portico.dev/v1alpha1", "Middleware",
              &crd::DecodeCrdKind<&crd::CrdObjects::middlewares>},
    KindEntry{"portico.dev/v1alpha1", "MiddlewareTCP",
              &crd::DecodeCrdKind<&crd::CrdObjects::middlewares_tcp>},
    KindEntry{"portico.dev/v1alpha1", "TLSOption",
              &crd::DecodeCrdKind<&crd::CrdObjects::tls_options>},
    KindEntry{"portico.dev/v1alpha1", "TLSStore",
              &crd::DecodeCrdKind<&crd::CrdObjects::tls_stores>},
    KindEntry{"portico.dev/v1alpha1", "ServersTransport",
              &crd::DecodeCrdKind<&crd::CrdObjects::servers_transports>},
    KindEntry{"portico.dev/v1alpha1", "ServersTransportTCP",
              &crd::DecodeCrdKind<&crd::CrdObjects::servers_transports_tcp>},
    KindEntry{"portico.dev/v1alpha1", "WeightedService",
              &crd::DecodeCrdKind<&crd::CrdObjects::weighted_services>},
    KindEntry{"traefik.io/v1alpha1", "IngressRoute",
              &crd::DecodeCrdKind<&crd::CrdObjects::ingress_routes>},
    KindEntry{"traefik.io/v1alpha1", "IngressRouteTCP",
              &crd::DecodeCrdKind<&crd::CrdObjects::ingress_routes_tcp>},
    KindEntry{"traefik.io/v1alpha1", "IngressRouteUDP",
              &crd::DecodeCrdKind<&crd::CrdObjects::ingress_routes_udp>},
    KindEntry{"traefik.io/v1alpha1", "Middleware",
              &crd::DecodeCrdKind<&crd::CrdObjects::middlewares>},
    KindEntry{"traefik.io/v1alpha1", "MiddlewareTCP",
              &crd::DecodeCrdKind<&crd::CrdObjects::middlewares_tcp>},
    KindEntry{"traefik.io/v1alpha1", "TLSOption",
              &crd::DecodeCrdKind<&crd::CrdObjects::tls_options>},
    KindEntry{"traefik.io/v1alpha1", "TLSStore", &crd::DecodeCrdKind<&crd::CrdObjects::tls_stores>},
    KindEntry{"traefik.io/v1alpha1", "ServersTransport",
              &crd::DecodeCrdKind<&crd::CrdObjects::servers_transports>},
    KindEntry{"traefik.io/v1alpha1", "ServersTransportTCP",
              &crd::DecodeCrdKind<&crd::CrdObjects::servers_transports_tcp>},
    KindEntry{"traefik.io/v1alpha1", "TraefikService",
              &crd::DecodeCrdKind<&crd::CrdObjects::weighted_services>},
};

}  // namespace

const KindEntry* FindKind(std::string_view api_version, std::string_view kind) {
  for (const KindEntry& entry : kKinds) {
    if (entry.api_version == api_version && entry.kind == kind) return &entry;
  }
  return nullptr;
}

}  // namespace portico::controlplane
