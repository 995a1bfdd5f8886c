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

template <typename Map>
bool MoveNode(const ObjectKey& key, Map* from, Map* to) {
  if (to->contains(key)) return false;
  auto node = from->extract(key);
  if (node.empty()) return false;
  to->insert(std::move(node));
  return true;
}

// The KindStore of ClusterState::*Member, or of ClusterState::crds.*Member.
template <auto Member>
constexpr KindStore StateStore() {
  return {[](const ClusterState& state, const ObjectKey& key) {
            return (state.*Member).contains(key);
          },
          [](const ObjectKey& key, ClusterState* from, ClusterState* to) {
            return MoveNode(key, &(from->*Member), &(to->*Member));
          },
          [](const ObjectKey& key, ClusterState* state) {
            return (state->*Member).erase(key) == 1;
          }};
}

template <auto Member>
constexpr KindStore CrdStore() {
  return {[](const ClusterState& state, const ObjectKey& key) {
            return (state.crds.*Member).contains(key);
          },
          [](const ObjectKey& key, ClusterState* from, ClusterState* to) {
            return MoveNode(key, &(from->crds.*Member), &(to->crds.*Member));
          },
          [](const ObjectKey& key, ClusterState* state) {
            return (state->crds.*Member).erase(key) == 1;
          }};
}

template <typename T, std::string (*Decode)(const JsonField&, T*),
          std::map<ObjectKey, T> ClusterState::*Objects>
constexpr KindEntry Builtin(std::string_view api_version, std::string_view kind,
                            bool cluster_scoped = false) {
  return {api_version, kind, &DecodeInto<T, Decode, Objects>, StateStore<Objects>(),
          cluster_scoped};
}

template <auto Objects>
constexpr KindEntry Crd(std::string_view api_version, std::string_view kind) {
  return {api_version, kind, &crd::DecodeCrdKind<Objects>, CrdStore<Objects>()};
}

constexpr std::string_view kPortico = "portico.dev/v1alpha1";
constexpr std::string_view kTraefik = "traefik.io/v1alpha1";

constexpr std::array kKinds = {
    Builtin<Service, &DecodeService, &ClusterState::services>("v1", "Service"),
    Builtin<EndpointSlice, &DecodeEndpointSlice, &ClusterState::endpoint_slices>(
        "discovery.k8s.io/v1", "EndpointSlice"),
    Builtin<Ingress, &DecodeIngressAndClass, &ClusterState::ingresses>("networking.k8s.io/v1",
                                                                       "Ingress"),
    Builtin<IngressClass, &DecodeIngressClass, &ClusterState::ingress_classes>(
        "networking.k8s.io/v1", "IngressClass", /*cluster_scoped=*/true),
    Builtin<Secret, &DecodeSecret, &ClusterState::secrets>("v1", "Secret"),
    Crd<&crd::CrdObjects::ingress_routes>(kPortico, "IngressRoute"),
    Crd<&crd::CrdObjects::ingress_routes_tcp>(kPortico, "IngressRouteTCP"),
    Crd<&crd::CrdObjects::ingress_routes_udp>(kPortico, "IngressRouteUDP"),
    Crd<&crd::CrdObjects::middlewares>(kPortico, "Middleware"),
    Crd<&crd::CrdObjects::middlewares_tcp>(kPortico, "MiddlewareTCP"),
    Crd<&crd::CrdObjects::tls_options>(kPortico, "TLSOption"),
    Crd<&crd::CrdObjects::tls_stores>(kPortico, "TLSStore"),
    Crd<&crd::CrdObjects::servers_transports>(kPortico, "ServersTransport"),
    Crd<&crd::CrdObjects::servers_transports_tcp>(kPortico, "ServersTransportTCP"),
    Crd<&crd::CrdObjects::weighted_services>(kPortico, "WeightedService"),
    Crd<&crd::CrdObjects::ingress_routes>(kTraefik, "IngressRoute"),
    Crd<&crd::CrdObjects::ingress_routes_tcp>(kTraefik, "IngressRouteTCP"),
    Crd<&crd::CrdObjects::ingress_routes_udp>(kTraefik, "IngressRouteUDP"),
    Crd<&crd::CrdObjects::middlewares>(kTraefik, "Middleware"),
    Crd<&crd::CrdObjects::middlewares_tcp>(kTraefik, "MiddlewareTCP"),
    Crd<&crd::CrdObjects::tls_options>(kTraefik, "TLSOption"),
    Crd<&crd::CrdObjects::tls_stores>(kTraefik, "TLSStore"),
    Crd<&crd::CrdObjects::servers_transports>(kTraefik, "ServersTransport"),
    Crd<&crd::CrdObjects::servers_transports_tcp>(kTraefik, "ServersTransportTCP"),
    Crd<&crd::CrdObjects::weighted_services>(kTraefik, "TraefikService"),
};

}  // namespace

const KindEntry* FindKind(std::string_view api_version, std::string_view kind) {
  for (const KindEntry& entry : kKinds) {
    if (entry.api_version == api_version && entry.kind == kind) return &entry;
  }
  return nullptr;
}

}  // namespace portico::controlplane
