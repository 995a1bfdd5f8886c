// Route middlewares and per-route timeouts into the snapshot: retry
// policies and their defaults, other types carried with a NotExecuted
// diagnostic, missing ones making the route answer 503; IngressRoute
// `timeouts` and the Ingress timeout annotations.
#include <catch2/catch.hpp>

#include "controlplane/compiler/compiler.h"
#include "controlplane/translate/snapshot_translator.h"
#include "tests/controlplane/support/manifests.h"

namespace portico::controlplane {
namespace {

using testing::Describe;
using testing::StateFromYaml;

std::string Compiled(const std::string& yaml) { return Describe(Compile(StateFromYaml(yaml))); }

// The snapshot's middlewares and routes' timeouts, as protobuf text.
std::string SnapshotText(const std::string& yaml) {
  v1::Snapshot snapshot = TranslateSnapshot(Compile(StateFromYaml(yaml)));
  std::string text;
  for (const v1::Middleware& middleware : snapshot.middlewares()) {
    text += "middleware " + testing::ProtoLine(middleware) + "\n";
  }
  for (const v1::Route& route : snapshot.routes()) {
    text +=
        "route " + route.name() + " timeouts { " + testing::ProtoLine(route.timeouts()) + " }\n";
  }
  return text;
}

constexpr char kMiddlewares[] = R"(---
apiVersion: portico.dev/v1alpha1
kind: Middleware
metadata: {name: retry-default, namespace: shop}
spec:
  retry: {attempts: 3}
---
apiVersion: portico.dev/v1alpha1
kind: Middleware
metadata: {name: retry-all, namespace: shop}
spec:
  retry:
    attempts: 5
    initialInterval: 250ms
    retryNonIdempotentMethod: true
    disableRetryOnNetworkError: true
---
apiVersion: portico.dev/v1alpha1
kind: Middleware
metadata: {name: hsts, namespace: shop}
spec:
  headers: {stsSeconds: 60}
)";

TEST_CASE("route middlewares are carried in order, the route is served", "[compiler]") {
  std::string yaml =
      std::string(testing::kShopWebBackend) + kMiddlewares + testing::ShopSiteRoutes(R"(
  - match: Path(`/a`)
    middlewares: [{name: retry-all}, {name: hsts}]
    services: [{name: web, port: 80}]
  - match: Path(`/b`)
    middlewares: [{name: shop-retry-default@kubernetescrd}, {name: retry-all}]
    services: [{name: web, port: 80}]
)");
  CHECK(Compiled(yaml) ==
        "route shop/site/r0 priority 10 hosts * -> shop/site/r0/s0 via shop/retry-all,shop/hsts "
        "(IngressRoute/shop/site)\n"
        "route shop/site/r1 priority 10 hosts * -> shop/site/r1/s0 via "
        "shop/retry-default,shop/retry-all (IngressRoute/shop/site)\n"
        "cluster shop/web:http 10.0.0.1:8080\n"
        "service shop/site/r0/s0 -> shop/web:http\n"
        "service shop/site/r1/s0 -> shop/web:http\n"
        "middleware shop/hsts headers\n"
        "middleware shop/retry-all retry\n"
        "middleware shop/retry-default retry\n"
        "diagnostic IngressRoute/shop/site NotExecuted: spec.routes[0].middlewares[1]: "
        "middleware shop/hsts (headers) is not executed by the proxy yet; the proxy answers 503 "
        "on this route rather than pass traffic without it\n");
  // Retry: Traefik's 100 ms initial interval by default.
  std::string text = SnapshotText(yaml);
  CHECK(text.starts_with(
      "middleware name: \"shop/hsts\" type: \"headers\"\n"
      "middleware name: \"shop/retry-all\" type: \"retry\" retry { attempts: 5 "
      "initial_interval_ms: 250 retry_non_idempotent: true disable_on_network_error: true }\n"
      "middleware name: \"shop/retry-default\" type: \"retry\" retry { attempts: 3 "
      "initial_interval_ms: 100 }\n"));
}

TEST_CASE("a missing middleware: 503, nothing carried, unused ones are left out", "[compiler]") {
  std::string yaml =
      std::string(testing::kShopWebBackend) + kMiddlewares + testing::ShopSiteRoutes(R"(
  - match: Path(`/a`)
    middlewares: [{name: retry-all}, {name: nope}]
    services: [{name: web, port: 80}]
)");
  CHECK(Compiled(yaml) ==
        "route shop/site/r0 priority 10 hosts * -> 503 (IngressRoute/shop/site)\n"
        "diagnostic IngressRoute/shop/site MiddlewareNotFound: spec.routes[0].middlewares[1]: "
        "middleware shop/nope does not exist; the route answers 503\n");
}

TEST_CASE("a middleware of another namespace needs --allow-cross-namespace", "[compiler]") {
  // Both Traefik forms: `namespace`, and "<namespace>-<name>@kubernetescrd"
  // (which once bypassed the check).
  std::string other = R"(---
apiVersion: portico.dev/v1alpha1
kind: Middleware
metadata: {name: retry, namespace: other}
spec:
  retry: {attempts: 2}
)";
  for (std::string ref : {"{name: retry, namespace: other}", "{name: other-retry@kubernetescrd}"}) {
    INFO(ref);
    std::string yaml = std::string(testing::kShopWebBackend) + other +
                       testing::ShopSiteRoutes("  - match: Path(`/a`)\n    middlewares: [" + ref +
                                               "]\n    services: [{name: web, port: 80}]\n");
    CHECK(Compiled(yaml) ==
          "route shop/site/r0 priority 10 hosts * -> 503 (IngressRoute/shop/site)\n"
          "diagnostic IngressRoute/shop/site CrossNamespace: spec.routes[0].middlewares[0]: "
          "middleware other/retry is in another namespace, refused (cross-namespace references "
          "are off, --allow-cross-namespace); the route answers 503\n");
    std::string allowed = Describe(Compile(StateFromYaml(yaml), {.allow_cross_namespace = true}));
    CHECK(allowed.find("via other/retry") != std::string::npos);
  }
}

TEST_CASE("a <namespace>-<name> that reads two ways prefers the route's namespace",
          "[compiler]") {
  // "shop-a-retry": shop/a-retry or shop-a/retry.
  std::string yaml = std::string(testing::kShopWebBackend) + R"(---
apiVersion: portico.dev/v1alpha1
kind: Middleware
metadata: {name: retry, namespace: shop-a}
spec:
  retry: {attempts: 2}
---
apiVersion: portico.dev/v1alpha1
kind: Middleware
metadata: {name: a-retry, namespace: shop}
spec:
  retry: {attempts: 3}
)" + testing::ShopSiteRoutes(R"(
  - match: Path(`/a`)
    middlewares: [{name: shop-a-retry@kubernetescrd}]
    services: [{name: web, port: 80}]
)");
  std::string compiled = Describe(Compile(StateFromYaml(yaml), {.allow_cross_namespace = true}));
  CHECK(compiled.find("via shop/a-retry") != std::string::npos);
}

TEST_CASE("IngressRoute timeouts in milliseconds", "[compiler]") {
  std::string yaml = std::string(testing::kShopWebBackend) + testing::ShopSiteRoutes(R"(
  - match: Path(`/a`)
    timeouts: {connect: 2s, responseHeaders: 1500us, total: 1m30s}
    services: [{name: web, port: 80}]
  - match: Path(`/b`)
    timeouts: {total: 3}
    services: [{name: web, port: 80}]
  - match: Path(`/c`)
    services: [{name: web, port: 80}]
)");
  // 1500 us rounds up to 2 ms: never to 0, which means the proxy's default.
  CHECK(SnapshotText(yaml) ==
        "route shop/site/r0 timeouts { connect_ms: 2000 response_header_ms: 2 total_ms: 90000 }\n"
        "route shop/site/r1 timeouts { total_ms: 3000 }\n"
        "route shop/site/r2 timeouts {  }\n");  // unset: the proxy's defaults
}

TEST_CASE("Ingress timeout annotations, a bad one is reported and ignored", "[compiler]") {
  std::string yaml = std::string(testing::kShopWebBackend) + R"(---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: good
  namespace: shop
  annotations:
    portico.dev/connect-timeout: 250ms
    portico.dev/response-header-timeout: "10"
    portico.dev/request-timeout: 1m
spec:
  rules:
  - host: a.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: bad
  namespace: shop
  annotations:
    portico.dev/connect-timeout: soon
    portico.dev/request-timeout: -5s
    portico.dev/response-header-timeout: 2s
spec:
  defaultBackend: {service: {name: web, port: {number: 80}}}
)";
  CHECK(SnapshotText(yaml) ==
        "route shop/good/r0/p0 timeouts { connect_ms: 250 response_header_ms: 10000 total_ms: "
        "60000 }\n"
        "route shop/bad/default timeouts { response_header_ms: 2000 }\n");
  std::string described = Compiled(yaml);
  CHECK(described.find(
            "diagnostic Ingress/shop/bad InvalidAnnotation: "
            "metadata.annotations[portico.dev/connect-timeout]: must be a positive duration such "
            "as \"5s\", \"1m30s\" or a number of seconds, got \"soon\"; ignored\n"
            "diagnostic Ingress/shop/bad InvalidAnnotation: "
            "metadata.annotations[portico.dev/request-timeout]: must be a positive duration such "
            "as \"5s\", \"1m30s\" or a number of seconds, got \"-5s\"; ignored\n") !=
        std::string::npos);
  CHECK(described.find("diagnostic Ingress/shop/good") == std::string::npos);
}

}  // namespace
}  // namespace portico::controlplane
