// IngressRoute compilation: rules, priorities, services, middlewares, TLS,
// and every object problem. Inputs are YAML; expected outputs are literal.
#include <catch2/catch.hpp>

#include "controlplane/compiler/compiler.h"
#include "tests/controlplane/support/manifests.h"

namespace portico::controlplane {
namespace {

using testing::Describe;
using testing::StateFromYaml;

std::string Compiled(const std::string& yaml) { return Describe(Compile(StateFromYaml(yaml))); }

constexpr auto& kBackend = testing::kShopWebBackend;

TEST_CASE("IngressRoute routes: rule hosts, default and explicit priority, order", "[compiler]") {
  std::string yaml = std::string(kBackend) + R"(
---
apiVersion: portico.dev/v1alpha1
kind: IngressRoute
metadata: {name: site, namespace: shop}
spec:
  routes:
  - match: Host(`shop.example.com`) && PathPrefix(`/api`)
    services: [{name: web, port: 80}]
  - match: Host(`a.example.com`) || Host(`*.b.example.com`)
    services: [{name: web, port: http}]
  - match: PathPrefix(`/`)
    priority: 1000
    services: [{name: web, port: 80}]
)";
  CHECK(Compiled(yaml) ==
        "route shop/site/r2 priority 1000 hosts * -> shop/site/r2/s0 (IngressRoute/shop/site)\n"
        "route shop/site/r1 priority 48 hosts *.b.example.com,a.example.com -> shop/site/r1/s0 "
        "(IngressRoute/shop/site)\n"
        "route shop/site/r0 priority 46 hosts shop.example.com -> shop/site/r0/s0 "
        "(IngressRoute/shop/site)\n"
        "cluster shop/web:http 10.0.0.1:8080\n"
        "service shop/site/r0/s0 -> shop/web:http\n"
        "service shop/site/r1/s0 -> shop/web:http\n"
        "service shop/site/r2/s0 -> shop/web:http\n");
}

TEST_CASE("Ingress and IngressRoute routes share one priority order", "[compiler]") {
  std::string yaml = std::string(kBackend) + R"(
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: legacy, namespace: shop}
spec:
  rules:
  - host: shop.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
---
apiVersion: traefik.io/v1alpha1
kind: IngressRoute
metadata: {name: api, namespace: shop}
spec:
  routes:
  - match: Host(`shop.example.com`) && PathPrefix(`/api`)
    services: [{name: web, port: 80}]
)";
  // 46 (the rule's length) before 43 (Host(`shop.example.com`) && PathPrefix(`/`)).
  CHECK(Compiled(yaml) ==
        "route shop/api/r0 priority 46 hosts shop.example.com -> shop/api/r0/s0 "
        "(IngressRoute/shop/api)\n"
        "route shop/legacy/r0/p0 shop.example.com Prefix / -> shop/web:http (Ingress/shop/legacy)\n"
        "cluster shop/web:http 10.0.0.1:8080\n"
        "service shop/api/r0/s0 -> shop/web:http\n");
}

TEST_CASE("a broken rule leaves out only its route, naming the field and column", "[compiler]") {
  std::string yaml = std::string(kBackend) + R"(
---
apiVersion: portico.dev/v1alpha1
kind: IngressRoute
metadata: {name: site, namespace: shop}
spec:
  routes:
  - match: Host(`ok.example.com`)
    services: [{name: web, port: 80}]
  - match: PathPrefix(`/api`
    services: [{name: web, port: 80}]
)";
  std::string out = Compiled(yaml);
  CHECK(out ==
        "route shop/site/r0 priority 22 hosts ok.example.com -> shop/site/r0/s0 "
        "(IngressRoute/shop/site)\n"
        "cluster shop/web:http 10.0.0.1:8080\n"
        "service shop/site/r0/s0 -> shop/web:http\n"
        "diagnostic IngressRoute/shop/site InvalidRule: spec.routes[1].match: column 18: "
        "expected ')' after the arguments of PathPrefix, got the end of the rule; the route is "
        "left out\n");
}

TEST_CASE("routes that cannot be served as written answer 503, never bypass, middlewares carried",
          "[compiler]") {
  std::string yaml = std::string(kBackend) + R"(
---
apiVersion: portico.dev/v1alpha1
kind: Middleware
metadata: {name: strip, namespace: shop}
spec:
  stripPrefix: {prefixes: [/api]}
---
apiVersion: portico.dev/v1alpha1
kind: IngressRoute
metadata: {name: site, namespace: shop}
spec:
  routes:
  - match: Host(`mw.example.com`)
    middlewares: [{name: strip}]
    services: [{name: web, port: 80}]
  - match: Host(`missing.example.com`)
    middlewares: [{name: nope}]
    services: [{name: web, port: 80}]
  - match: Host(`split.example.com`)
    services: [{name: web, port: 80}, {name: web, port: http}]
  - match: Host(`other.example.com`)
    services: [{name: web, namespace: elsewhere, port: 80}]
  - match: Host(`gone.example.com`)
    services: [{name: absent, port: 80}]
)";
  CHECK(Compiled(yaml) ==
        "route shop/site/r1 priority 27 hosts missing.example.com -> 503 (IngressRoute/shop/site)\n"
        "route shop/site/r2 priority 25 hosts split.example.com -> shop/site/r2 "
        "(IngressRoute/shop/site)\n"
        "route shop/site/r3 priority 25 hosts other.example.com -> 503 (IngressRoute/shop/site)\n"
        "route shop/site/r4 priority 24 hosts gone.example.com -> 503 (IngressRoute/shop/site)\n"
        "route shop/site/r0 priority 22 hosts mw.example.com -> shop/site/r0/s0 via shop/strip "
        "(IngressRoute/shop/site)\n"
        "cluster shop/web:http 10.0.0.1:8080\n"
        "service shop/site/r0/s0 -> shop/web:http\n"
        "service shop/site/r2 weighted shop/site/r2/s0*1,shop/site/r2/s1*1\n"
        "service shop/site/r2/s0 -> shop/web:http\n"
        "service shop/site/r2/s1 -> shop/web:http\n"
        "middleware shop/strip stripPrefix\n"
        // The proxy, not the controller, refuses what it cannot run.
        "diagnostic IngressRoute/shop/site NotExecuted: spec.routes[0].middlewares[0]: middleware "
        "shop/strip (stripPrefix) is not executed by the proxy yet; the proxy answers 503 on this "
        "route rather than pass traffic without it\n"
        "diagnostic IngressRoute/shop/site MiddlewareNotFound: spec.routes[1].middlewares[0]: "
        "middleware shop/nope does not exist; the route answers 503\n"
        "diagnostic IngressRoute/shop/site CrossNamespace: spec.routes[3].services[0].namespace: "
        "elsewhere is another namespace, refused (cross-namespace references are off, "
        "--allow-cross-namespace); the route answers 503\n"
        "diagnostic IngressRoute/shop/site BackendNotFound: spec.routes[4].services[0]: "
        "Service shop/absent not found; the route answers 503\n");
}

TEST_CASE("with --allow-cross-namespace a route may use another namespace's Service", "[compiler]") {
  std::string yaml = std::string(kBackend) + R"(
---
apiVersion: portico.dev/v1alpha1
kind: IngressRoute
metadata: {name: front, namespace: edge}
spec:
  routes:
  - match: Host(`front.example.com`)
    services: [{name: web, namespace: shop, port: 80}]
)";
  CHECK(Describe(Compile(StateFromYaml(yaml), {.allow_cross_namespace = true})) ==
        "route edge/front/r0 priority 25 hosts front.example.com -> edge/front/r0/s0 "
        "(IngressRoute/edge/front)\n"
        "cluster shop/web:http 10.0.0.1:8080\n"
        "service edge/front/r0/s0 -> shop/web:http\n");
}

TEST_CASE("entryPoints restrict where routes serve, the same rule elsewhere is no conflict",
          "[compiler]") {
  std::string yaml = std::string(kBackend) + R"(
---
apiVersion: portico.dev/v1alpha1
kind: IngressRoute
metadata: {name: internal, namespace: shop}
spec:
  entryPoints: [internal, admin, internal]
  routes:
  - {match: Host(`a.example.com`), services: [{name: web, port: 80}]}
---
apiVersion: portico.dev/v1alpha1
kind: IngressRoute
metadata: {name: public, namespace: shop}
spec:
  routes:
  - {match: Host(`a.example.com`), services: [{name: web, port: 80}]}
)";
  CHECK(Compiled(yaml) ==
        "route shop/internal/r0 priority 21 hosts a.example.com on admin,internal -> "
        "shop/internal/r0/s0 (IngressRoute/shop/internal)\n"
        "route shop/public/r0 priority 21 hosts a.example.com -> shop/public/r0/s0 "
        "(IngressRoute/shop/public)\n"
        "cluster shop/web:http 10.0.0.1:8080\n"
        "service shop/internal/r0/s0 -> shop/web:http\n"
        "service shop/public/r0/s0 -> shop/web:http\n");
}

TEST_CASE("IngressRoute tls: every route TLS-only, the Secret checked", "[compiler]") {
  std::string yaml = std::string(kBackend) + R"(
---
apiVersion: portico.dev/v1alpha1
kind: IngressRoute
metadata: {name: secure, namespace: shop}
spec:
  routes:
  - match: Host(`secure.example.com`)
    services: [{name: web, port: 80}]
  tls:
    secretName: missing-cert
)";
  CHECK(Compiled(yaml) ==
        "route shop/secure/r0 priority 26 hosts secure.example.com tls -> shop/secure/r0/s0 "
        "(IngressRoute/shop/secure)\n"
        "cluster shop/web:http 10.0.0.1:8080\n"
        "service shop/secure/r0/s0 -> shop/web:http\n"
        "diagnostic IngressRoute/shop/secure SecretNotFound: spec.tls.secretName: Secret "
        "shop/missing-cert: not found; its certificate is left out (the default one is served)\n");
}

TEST_CASE("two IngressRoutes with the same rule: the first object keeps it", "[compiler]") {
  std::string yaml = std::string(kBackend) + R"(
---
apiVersion: portico.dev/v1alpha1
kind: IngressRoute
metadata: {name: b, namespace: shop}
spec:
  routes:
  - {match: Host(`same.example.com`), services: [{name: web, port: 80}]}
---
apiVersion: portico.dev/v1alpha1
kind: IngressRoute
metadata: {name: a, namespace: shop}
spec:
  routes:
  - {match: Host(`same.example.com`), services: [{name: web, port: 80}]}
)";
  CHECK(Compiled(yaml) ==
        "route shop/a/r0 priority 24 hosts same.example.com -> shop/a/r0/s0 "
        "(IngressRoute/shop/a)\n"
        "cluster shop/web:http 10.0.0.1:8080\n"
        "service shop/a/r0/s0 -> shop/web:http\n"
        "diagnostic IngressRoute/shop/b Conflict: route shop/b/r0 (the same rule) is already "
        "claimed by route shop/a/r0 of IngressRoute/shop/a; dropped\n");
}

}  // namespace
}  // namespace portico::controlplane
