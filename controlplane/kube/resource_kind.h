// ResourceKind: one collection the Kubernetes source lists and watches,
// named by group, version and resource (the URL's plural), plus the kind
// its objects carry. The built-in kinds come from DefaultKinds(); a CRD kind
// is one more value of the same struct. Plain values.
#pragma once

#include <string>
#include <vector>

namespace portico::controlplane {

struct ResourceKind {
  std::string group;     // "" for the core group
  std::string version;   // "v1"
  std::string resource;  // "ingresses"
  std::string kind;      // "Ingress"
  bool namespaced = true;
  // Passed as fieldSelector on list and watch ("" = none).
  std::string field_selector;
  // A custom resource: its CRD may not be installed. A 404 on the list then
  // means "not installed" (an empty collection, re-checked periodically),
  // not an error.
  bool optional = false;

  // "networking.k8s.io/v1", or "v1" for the core group.
  std::string api_version() const { return group.empty() ? version : group + "/" + version; }
};

// Ingress, IngressClass, Service, EndpointSlice and Secret (only those of
// type kubernetes.io/tls: other Secrets are never routed to and can be large).
std::vector<ResourceKind> DefaultKinds();

// Every portico.dev/v1alpha1 kind the compiler consumes (crds/), and with
// `traefik_compat` the traefik.io/v1alpha1 twins (TraefikService for
// WeightedService). All optional.
std::vector<ResourceKind> CrdKinds(bool traefik_compat);

// "/apis/GROUP/VERSION[/namespaces/NS]/RESOURCE" ("/api/v1/..." for core).
// `ns` empty: every namespace (and always for cluster-scoped kinds).
std::string CollectionPath(const ResourceKind& kind, const std::string& ns);

}  // namespace portico::controlplane
