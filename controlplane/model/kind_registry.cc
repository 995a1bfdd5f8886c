#include "controlplane/model/kind_registry.h"

#include <array>
#include <map>

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

constexpr std::array kKinds = {
    KindEntry{"v1", "Service", &DecodeInto<Service, &DecodeService, &ClusterState::services>},
    KindEntry{"discovery.k8s.io/v1", "EndpointSlice",
              &DecodeInto<EndpointSlice, &DecodeEndpointSlice, &ClusterState::endpoint_slices>},
    KindEntry{"networking.k8s.io/v1", "Ingress",
              &DecodeInto<Ingress, &DecodeIngress, &ClusterState::ingresses>},
};

}  // namespace

const KindEntry* FindKind(std::string_view api_version, std::string_view kind) {
  for (const KindEntry& entry : kKinds) {
    if (entry.api_version == api_version && entry.kind == kind) return &entry;
  }
  return nullptr;
}

}  // namespace portico::controlplane
