// CRD kinds go through the kind registry into ClusterState::crds, under
// both apiVersions, and one bad object never affects the others.
#include <catch2/catch.hpp>

#include "controlplane/model/cluster_state.h"
#include "controlplane/model/kind_registry.h"
#include "controlplane/source/yaml_to_json.h"

namespace portico::controlplane::crd {
namespace {

std::vector<SourceObject> Objects(std::string_view yaml) {
  std::vector<YamlDocument> documents;
  YamlError error;
  REQUIRE(YamlToJson(yaml, &documents, &error));
  std::vector<SourceObject> out;
  for (YamlDocument& d : documents) {
    out.push_back({"test.yaml#" + std::to_string(d.index), std::move(d.json)});
  }
  return out;
}

std::vector<std::string> Issues(const ClusterStateBuild& build) {
  std::vector<std::string> out;
  for (const SourceIssue& i : build.issues) out.push_back(i.origin + ": " + i.message);
  return out;
}

TEST_CASE("registry: every kind under portico.dev and traefik.io") {
  for (std::string_view api : {"portico.dev/v1alpha1", "traefik.io/v1alpha1"}) {
    std::string weighted = api == "portico.dev/v1alpha1" ? "WeightedService" : "TraefikService";
    for (std::string_view kind :
         {"IngressRoute", "IngressRouteTCP", "IngressRouteUDP", "Middleware", "MiddlewareTCP",
          "TLSOption", "TLSStore", "ServersTransport", "ServersTransportTCP"}) {
      INFO(api << " " << kind);
      CHECK(FindKind(api, kind) != nullptr);
    }
    CHECK(FindKind(api, weighted) != nullptr);
  }
  CHECK(FindKind("portico.dev/v1alpha1", "TraefikService") == nullptr);
  CHECK(FindKind("traefik.io/v1alpha1", "WeightedService") == nullptr);
  CHECK(FindKind("traefik.containo.us/v1alpha1", "IngressRoute") == nullptr);
}

TEST_CASE("registry: objects land in ClusterState::crds, a bad one is reported alone") {
  ClusterStateBuild build = BuildClusterState(Objects(R"yaml(
apiVersion: portico.dev/v1alpha1
kind: IngressRoute
metadata: {name: web, namespace: shop, generation: 4}
spec:
  routes: [{match: "Host(`shop.example`)", services: [{name: web, port: 80}]}]
---
apiVersion: traefik.io/v1alpha1
kind: Middleware
metadata: {name: strip, namespace: shop}
spec: {stripPrefix: {prefixes: [/shop]}}
---
apiVersion: portico.dev/v1alpha1
kind: Middleware
metadata: {name: broken, namespace: shop}
spec: {stripPrefix: {prefixes: [shop]}}
---
apiVersion: traefik.io/v1alpha1
kind: TraefikService
metadata: {name: split, namespace: shop}
spec: {weighted: {services: [{name: web, port: 80}]}}
---
apiVersion: traefik.io/v1alpha1
kind: IngressRoute
metadata: {name: web, namespace: shop}
spec: {routes: [{match: "Host(`other`)"}]}
---
apiVersion: portico.dev/v1alpha1
kind: TLSStore
metadata: {name: default, namespace: shop}
spec: {defaultCertificate: {secretName: wildcard}}
)yaml"));
  CHECK(Issues(build) ==
        std::vector<std::string>{
            "test.yaml#2: Middleware shop/broken: spec.stripPrefix.prefixes[0]: must start with "
            "'/', got \"shop\"",
            "test.yaml#4: IngressRoute shop/web: duplicate of the one in test.yaml#0, ignored"});
  const CrdObjects& crds = build.state.crds;
  REQUIRE(crds.ingress_routes.size() == 1);
  const IngressRoute& web = crds.ingress_routes.at({"shop", "web"});
  CHECK(web.meta.origin == "test.yaml#0");
  CHECK(web.crd.group == CrdGroup::kPortico);
  CHECK(web.crd.generation == 4);
  REQUIRE(crds.middlewares.size() == 1);
  CHECK(crds.middlewares.at({"shop", "strip"}).crd.group == CrdGroup::kTraefik);
  CHECK(crds.middlewares.at({"shop", "strip"}).crd.generation == 0);
  CHECK(crds.weighted_services.count({"shop", "split"}) == 1);
  CHECK(crds.tls_stores.at({"shop", "default"}).spec.default_certificate_secret_name == "wildcard");
}

TEST_CASE("registry: metadata.generation must be a non-negative integer") {
  ClusterStateBuild build = BuildClusterState(Objects(R"yaml(
apiVersion: portico.dev/v1alpha1
kind: TLSOption
metadata: {name: a, generation: -1}
spec: {}
---
apiVersion: portico.dev/v1alpha1
kind: TLSOption
metadata: {name: b, generation: two}
spec: {}
)yaml"));
  CHECK(Issues(build) ==
        std::vector<std::string>{
            "test.yaml#0: TLSOption default/a: metadata.generation: must not be negative",
            "test.yaml#1: TLSOption default/b: metadata.generation: must be an integer, got a "
            "string"});
  CHECK(build.state.crds.tls_options.empty());
}

}  // namespace
}  // namespace portico::controlplane::crd
