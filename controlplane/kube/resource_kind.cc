#include "controlplane/kube/resource_kind.h"

namespace portico::controlplane {

std::vector<ResourceKind> DefaultKinds() {
  return {
      {.group = "networking.k8s.io", .version = "v1", .resource = "ingresses", .kind = "Ingress"},
      {.group = "networking.k8s.io",
       .version = "v1",
       .resource = "ingressclasses",
       .kind = "IngressClass",
       .namespaced = false},
      {.version = "v1", .resource = "services", .kind = "Service"},
      {.group = "discovery.k8s.io",
       .version = "v1",
       .resource = "endpointslices",
       .kind = "EndpointSlice"},
      // Every type: clientAuth CA bundles live in Opaque Secrets. Only the
      // TLS keys are kept (model/secret.h), and only Secrets that routes or
      // TLS options name reach a snapshot.
      {.version = "v1", .resource = "secrets", .kind = "Secret"},
  };
}

std::string CollectionPath(const ResourceKind& kind, const std::string& ns) {
  std::string path = kind.group.empty() ? "/api/" + kind.version
                                        : "/apis/" + kind.group + "/" + kind.version;
  if (kind.namespaced && !ns.empty()) path += "/namespaces/" + ns;
  return path + "/" + kind.resource;
}

}  // namespace portico::controlplane
