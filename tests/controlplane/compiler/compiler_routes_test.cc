// Route order, default backends, conflicts and unresolved backends. Inputs
// are YAML; expected outputs are written out literally.
#include <catch2/catch.hpp>

#include "controlplane/compiler/compiler.h"
#include "tests/controlplane/support/manifests.h"

namespace portico::controlplane {
namespace {

using testing::Describe;
using testing::StateFromYaml;

std::string Compiled(const std::string& yaml) { return Describe(Compile(StateFromYaml(yaml))); }

// Priority is the length of Traefik's rule for the path,
// Host(`h`) && PathPrefix(`p`): 50 for shop.example.com /static/, 46 for both
// /api routes (Exact first), 44 for api.example.com /v1, 43 for
// shop.example.com /, 40 for the wildcard, 21 for /health without host.
TEST_CASE("routes come in match order: by priority, exact hosts first at equal priority",
          "[compiler]") {
  std::string yaml = R"(
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec: {ports: [{name: http, port: 80}]}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: web-1, namespace: shop, labels: {kubernetes.io/service-name: web}}
addressType: IPv4
ports: [{name: http, port: 8080}]
endpoints: [{addresses: [10.0.0.1]}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: site, namespace: shop}
spec:
  rules:
  - host: shop.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
      - {path: /api, pathType: Prefix, backend: {service: {name: web, port: {name: http}}}}
      - {path: /api, pathType: Exact, backend: {service: {name: web, port: {number: 80}}}}
      - {path: /static/, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
  - host: '*.example.com'
    http:
      paths:
      - {path: /, pathType: ImplementationSpecific, backend: {service: {name: web, port: {number: 80}}}}
  - http:
      paths:
      - {path: /health, pathType: Exact, backend: {service: {name: web, port: {number: 80}}}}
  - host: api.example.com
    http:
      paths:
      - {path: /v1, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
)";
  CHECK(
      Compiled(yaml) ==
      "route shop/site/r0/p3 shop.example.com Prefix /static -> shop/web:http (Ingress/shop/site)\n"
      "route shop/site/r0/p2 shop.example.com Exact /api -> shop/web:http (Ingress/shop/site)\n"
      "route shop/site/r0/p1 shop.example.com Prefix /api -> shop/web:http (Ingress/shop/site)\n"
      "route shop/site/r3/p0 api.example.com Prefix /v1 -> shop/web:http (Ingress/shop/site)\n"
      "route shop/site/r0/p0 shop.example.com Prefix / -> shop/web:http (Ingress/shop/site)\n"
      "route shop/site/r1/p0 *.example.com Prefix / -> shop/web:http (Ingress/shop/site)\n"
      "route shop/site/r2/p0 * Exact /health -> shop/web:http (Ingress/shop/site)\n"
      "cluster shop/web:http 10.0.0.1:8080\n");
}

TEST_CASE("conflicts: the lexically first Ingress wins, explicit rules beat default backends",
          "[compiler]") {
  std::string yaml = R"(
apiVersion: v1
kind: Service
metadata: {name: web, namespace: a}
spec: {ports: [{port: 80}]}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: two, namespace: a}
spec:
  rules:
  - host: x.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
  - http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: one, namespace: a}
spec:
  defaultBackend: {service: {name: web, port: {number: 80}}}
  rules:
  - host: x.com
    http:
      paths:
      - {path: /docs/, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
      - {path: /docs, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
)";
  CHECK(Compiled(yaml) ==
        "route a/one/r0/p0 x.com Prefix /docs -> a/web:80 (Ingress/a/one)\n"
        "route a/one/r0/p2 x.com Prefix / -> a/web:80 (Ingress/a/one)\n"
        "route a/two/r1/p0 * Prefix / -> a/web:80 (Ingress/a/two)\n"
        "cluster a/web:80\n"
        "diagnostic Ingress/a/one Conflict: route a/one/default (any host, Prefix /) is already "
        "claimed by route a/two/r1/p0 of Ingress/a/two; dropped\n"
        "diagnostic Ingress/a/one Conflict: route a/one/r0/p1 (host x.com, Prefix /docs) is "
        "already claimed by route a/one/r0/p0 of Ingress/a/one; dropped\n"
        "diagnostic Ingress/a/two Conflict: route a/two/r0/p0 (host x.com, Prefix /) is already "
        "claimed by route a/one/r0/p2 of Ingress/a/one; dropped\n");
}

TEST_CASE("a default backend routes every host and path not claimed by a rule", "[compiler]") {
  std::string yaml = R"(
apiVersion: v1
kind: Service
metadata: {name: fallback}
spec: {ports: [{name: http, port: 8080}]}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: catch-all}
spec:
  defaultBackend: {service: {name: fallback, port: {name: http}}}
)";
  CHECK(Compiled(yaml) ==
        "route default/catch-all/default * Prefix / -> default/fallback:http "
        "(Ingress/default/catch-all)\n"
        "cluster default/fallback:http\n");
}

TEST_CASE("an unresolved backend keeps its route with no cluster (503) and is diagnosed",
          "[compiler]") {
  std::string yaml = R"(
apiVersion: v1
kind: Service
metadata: {name: web}
spec: {ports: [{name: http, port: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: ext}
spec: {type: ExternalName, externalName: db.example.com}
---
apiVersion: v1
kind: Service
metadata: {name: dns}
spec: {ports: [{port: 53, protocol: UDP}]}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: site}
spec:
  rules:
  - http:
      paths:
      - {path: /a, pathType: Prefix, backend: {service: {name: missing, port: {number: 80}}}}
      - {path: /b, pathType: Prefix, backend: {service: {name: web, port: {number: 81}}}}
      - {path: /c, pathType: Prefix, backend: {service: {name: web, port: {name: grpc}}}}
      - {path: /d, pathType: Prefix, backend: {service: {name: ext, port: {number: 80}}}}
      - {path: /e, pathType: Prefix, backend: {resource: {apiGroup: k8s.example.com, kind: Bucket, name: b}}}
      - {path: /f, pathType: Prefix, backend: {service: {name: dns, port: {number: 53}}}}
)";
  CHECK(Compiled(yaml) ==
        "route default/site/r0/p0 * Prefix /a -> 503 (Ingress/default/site)\n"
        "route default/site/r0/p1 * Prefix /b -> 503 (Ingress/default/site)\n"
        "route default/site/r0/p2 * Prefix /c -> 503 (Ingress/default/site)\n"
        "route default/site/r0/p3 * Prefix /d -> 503 (Ingress/default/site)\n"
        "route default/site/r0/p4 * Prefix /e -> 503 (Ingress/default/site)\n"
        "route default/site/r0/p5 * Prefix /f -> 503 (Ingress/default/site)\n"
        "diagnostic Ingress/default/site BackendNotFound: route default/site/r0/p0: Service "
        "default/missing not found; the route answers 503\n"
        "diagnostic Ingress/default/site PortNotFound: route default/site/r0/p1: Service "
        "default/web has no port 81; the route answers 503\n"
        "diagnostic Ingress/default/site PortNotFound: route default/site/r0/p2: Service "
        "default/web has no port named \"grpc\"; the route answers 503\n"
        "diagnostic Ingress/default/site Unsupported: route default/site/r0/p3: Service "
        "default/ext is of type ExternalName, which is not supported; the route answers 503\n"
        "diagnostic Ingress/default/site Unsupported: route default/site/r0/p4: resource backend "
        "k8s.example.com/Bucket/b is not supported; the route answers 503\n"
        "diagnostic Ingress/default/site PortNotFound: route default/site/r0/p5: Service "
        "default/dns port 53 is UDP, not TCP; the route answers 503\n");
}

TEST_CASE("an empty state compiles to nothing", "[compiler]") {
  CHECK(Describe(Compile(ClusterState{})).empty());
}

}  // namespace
}  // namespace portico::controlplane
