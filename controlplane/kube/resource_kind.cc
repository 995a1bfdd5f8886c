#include "controlplane/kube/resource_kind.h"

#include <string_view>
#include <utility>

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

std::vector<ResourceKind> CrdKinds(bool traefik_compat) {
  // kind, plural: the files of crds/ (a test checks they agree).
  static constexpr std::pair<const char*, const char*> kPortico[] = {
      {"IngressRoute", "ingressroutes"},
      {"IngressRouteTCP", "ingressroutetcps"},
      {"IngressRouteUDP", "ingressrouteudps"},
      {"Middleware", "middlewares"},
      {"MiddlewareTCP", "middlewaretcps"},
      {"TLSOption", "tlsoptions"},
      {"TLSStore", "tlsstores"},
      {"ServersTransport", "serverstransports"},
      {"ServersTransportTCP", "serverstransporttcps"},
      {"WeightedService", "weightedservices"},
  };
  std::vector<ResourceKind> kinds;
  for (const char* group : {"portico.dev", "traefik.io"}) {
    if (std::string_view(group) == "traefik.io" && !traefik_compat) break;
    for (auto [kind, plural] : kPortico) {
      bool traefik = std::string_view(group) == "traefik.io";
      bool weighted = std::string_view(kind) == "WeightedService";
      kinds.push_back({.group = group,
                       .version = "v1alpha1",
                       .resource = traefik && weighted ? "traefikservices" : plural,
                       .kind = traefik && weighted ? "TraefikService" : kind,
                       .optional = true});
    }
  }
  return kinds;
}

std::string CollectionPath(const ResourceKind& kind, const std::string& ns) {
  std::string path = kind.group.empty() ? "/api/" + kind.version
                                        : "/apis/" + kind.group + "/" + kind.version;
  if (kind.namespaced && !ns.empty()) path += "/namespaces/" + ns;
  return path + "/" + kind.resource;
}

}  // namespace portico::controlplane
