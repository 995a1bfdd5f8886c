// IngressRoute services into the snapshot's Service graph: load-balancer
// settings and their defaults, several services, WeightedService nesting,
// mirroring, cycles, depth and every refusal. Inputs are YAML; expected
// outputs are literal (Describe lines, or the translated proto as text).
#include <catch2/catch.hpp>

#include "controlplane/compiler/compiler.h"
#include "controlplane/translate/snapshot_translator.h"
#include "tests/controlplane/support/manifests.h"

namespace portico::controlplane {
namespace {

using testing::Describe;
using testing::StateFromYaml;

std::string Compiled(const std::string& yaml, const CompileOptions& options = {}) {
  return Describe(Compile(StateFromYaml(yaml), options));
}

// The snapshot's services, as protobuf text.
std::string ServicesText(const std::string& yaml) {
  v1::Snapshot snapshot = TranslateSnapshot(Compile(StateFromYaml(yaml)));
  std::string text;
  for (const v1::Service& service : snapshot.services()) {
    text += testing::ProtoLine(service) + "\n";
  }
  return text;
}

std::string Route(const std::string& services) {
  return std::string(testing::kShopWebBackend) + testing::ShopSiteRoutes(R"(
  - match: Host(`shop.example.com`)
    services:
)" + services);
}

TEST_CASE("one service: a load-balanced Service with Traefik's defaults", "[compiler]") {
  std::string yaml = Route("    - {name: web, port: 80}\n");
  CHECK(Compiled(yaml) ==
        "route shop/site/r0 priority 24 hosts shop.example.com -> shop/site/r0/s0 "
        "(IngressRoute/shop/site)\n"
        "cluster shop/web:http 10.0.0.1:8080\n"
        "service shop/site/r0/s0 -> shop/web:http\n");
  // WRR, the Host header passed, plain http, no sticky, no checks.
  CHECK(ServicesText(yaml) ==
        "name: \"shop/site/r0/s0\" load_balancer { cluster: \"shop/web:http\" }\n");
}

TEST_CASE("every load-balancer setting is carried", "[compiler]") {
  std::string yaml = Route(R"(    - name: web
      port: 80
      strategy: maglev
      hashKey: {header: X-User}
      passHostHeader: false
      scheme: h2c
      serversTransport: mtls
      sticky:
        cookie: {name: lb, secure: true, httpOnly: true, sameSite: Lax, maxAge: 60, path: /a,
                 domain: example.com}
      healthCheck:
        path: /healthz?full=1
        scheme: https
        hostname: check.example.com
        port: 8443
        interval: 10s
        unhealthyInterval: 2s
        timeout: 1500ms
        headers: {X-Z: z, X-A: a}
        status: 204
        followRedirects: false
        method: HEAD
        unhealthyThreshold: 3
        healthyThreshold: 2
---
apiVersion: portico.dev/v1alpha1
kind: ServersTransport
metadata: {name: mtls, namespace: shop}
spec: {serverName: web.internal}
)");
  CHECK(ServicesText(yaml) ==
        "name: \"shop/site/r0/s0\" load_balancer { cluster: \"shop/web:http\" strategy: MAGLEV "
        "hash_key { source: HEADER name: \"X-User\" } sticky { name: \"lb\" secure: true "
        "http_only: true same_site: \"lax\" max_age: 60 path: \"/a\" domain: \"example.com\" } "
        "health_check { path: \"/healthz?full=1\" scheme: \"https\" hostname: "
        "\"check.example.com\" port: 8443 interval_ms: 10000 unhealthy_interval_ms: 2000 "
        "timeout_ms: 1500 headers { name: \"X-A\" value: \"a\" } headers { name: \"X-Z\" value: "
        "\"z\" } status: 204 method: \"HEAD\" unhealthy_threshold: 3 healthy_threshold: 2 } "
        "rewrite_host: true scheme: \"h2c\" servers_transport: \"shop/mtls\" }\n");
}

TEST_CASE("health check defaults: 30 s, 5 s, redirects followed, thresholds 1", "[compiler]") {
  std::string yaml = Route("    - {name: web, port: 80, healthCheck: {path: /health}}\n");
  CHECK(ServicesText(yaml) ==
        "name: \"shop/site/r0/s0\" load_balancer { cluster: \"shop/web:http\" health_check { "
        "path: \"/health\" interval_ms: 30000 timeout_ms: 5000 follow_redirects: true "
        "unhealthy_threshold: 1 healthy_threshold: 1 } }\n");
}

TEST_CASE("responseForwarding and passiveHealthCheck are carried with Traefik's defaults",
          "[compiler]") {
  std::string yaml = std::string(testing::kShopWebBackend) + testing::ShopSiteRoutes(R"(
  - {match: Path(`/0`), services: [{name: web, port: 80, responseForwarding: {flushInterval: 250ms}}]}
  - {match: Path(`/1`), services: [{name: web, port: 80, responseForwarding: {flushInterval: -1s}}]}
  - {match: Path(`/2`), services: [{name: web, port: 80, responseForwarding: {flushInterval: 10us}}]}
  - {match: Path(`/3`), services: [{name: web, port: 80, passiveHealthCheck: {}}]}
  - {match: Path(`/4`), services: [{name: web, port: 80,
                                    passiveHealthCheck: {failureWindow: 1m, maxFailedAttempts: 3}}]}
)");
  CHECK(ServicesText(yaml) ==
        "name: \"shop/site/r0/s0\" load_balancer { cluster: \"shop/web:http\" "
        "flush_interval_ms: 250 }\n"
        "name: \"shop/site/r1/s0\" load_balancer { cluster: \"shop/web:http\" "
        "flush_interval_ms: -1 }\n"
        "name: \"shop/site/r2/s0\" load_balancer { cluster: \"shop/web:http\" "
        "flush_interval_ms: 1 }\n"
        "name: \"shop/site/r3/s0\" load_balancer { cluster: \"shop/web:http\" "
        "passive_health { failure_window_ms: 10000 max_failed_attempts: 1 } }\n"
        "name: \"shop/site/r4/s0\" load_balancer { cluster: \"shop/web:http\" "
        "passive_health { failure_window_ms: 60000 max_failed_attempts: 3 } }\n");
  // What admission cannot take is refused naming the field.
  std::string bad = std::string(testing::kShopWebBackend) + testing::ShopSiteRoutes(R"(
  - {match: Path(`/0`), services: [{name: web, port: 80, passiveHealthCheck: {failureWindow: 0s}}]}
)");
  // nativeLB / nodePortLB would need cluster IPs or nodes: refused, not ignored.
  std::string native = std::string(testing::kShopWebBackend) + testing::ShopSiteRoutes(R"(
  - {match: Path(`/0`), services: [{name: web, port: 80, nativeLB: true}]}
  - {match: Path(`/1`), services: [{name: web, port: 80, nodePortLB: true}]}
  - {match: Path(`/2`), services: [{name: web, port: 80, nativeLB: false}]}
)");
  std::string compiled = Compiled(native);
  CHECK_THAT(compiled, Catch::Contains("spec.routes[0].services[0].nativeLB: balancing over the "
                                       "Service's cluster IP or node ports is not supported"));
  CHECK_THAT(compiled, Catch::Contains("spec.routes[1].services[0].nodePortLB"));
  CHECK_THAT(compiled, Catch::Contains("service shop/site/r2/s0 -> shop/web:http"));
  std::vector<std::string> issues = testing::DecodeIssues(bad);
  REQUIRE(issues.size() == 1);
  CHECK_THAT(issues[0], Catch::Contains("passiveHealthCheck.failureWindow: must be positive"));
}

TEST_CASE("strategies: wrr, RoundRobin, p2c, leastrequests, maglev by each key", "[compiler]") {
  std::string yaml = std::string(testing::kShopWebBackend) + testing::ShopSiteRoutes(R"(
  - {match: Path(`/0`), services: [{name: web, port: 80, strategy: wrr}]}
  - {match: Path(`/1`), services: [{name: web, port: 80, strategy: RoundRobin}]}
  - {match: Path(`/2`), services: [{name: web, port: 80, strategy: p2c}]}
  - {match: Path(`/3`), services: [{name: web, port: 80, strategy: leastrequests}]}
  - {match: Path(`/4`), services: [{name: web, port: 80, strategy: maglev}]}
  - {match: Path(`/5`), services: [{name: web, port: 80, strategy: maglev, hashKey: {cookie: s}}]}
  - {match: Path(`/6`), services: [{name: web, port: 80, strategy: maglev, hashKey: {path: true}}]}
  - {match: Path(`/7`), services: [{name: web, port: 80, strategy: maglev,
                                    hashKey: {clientIP: true}}]}
)");
  const std::string lb = "load_balancer { cluster: \"shop/web:http\"";
  CHECK(ServicesText(yaml) ==
        "name: \"shop/site/r0/s0\" " + lb + " }\n" + "name: \"shop/site/r1/s0\" " + lb + " }\n" +
            "name: \"shop/site/r2/s0\" " + lb + " strategy: P2C }\n" +
            "name: \"shop/site/r3/s0\" " + lb + " strategy: LEAST_REQUESTS }\n" +
            "name: \"shop/site/r4/s0\" " + lb + " strategy: MAGLEV hash_key { } }\n" +
            "name: \"shop/site/r5/s0\" " + lb +
            " strategy: MAGLEV hash_key { source: COOKIE name: \"s\" } }\n" +
            "name: \"shop/site/r6/s0\" " + lb + " strategy: MAGLEV hash_key { source: PATH } }\n" +
            "name: \"shop/site/r7/s0\" " + lb + " strategy: MAGLEV hash_key { } }\n");
}

TEST_CASE("a port 443 or a port named https* defaults to scheme https", "[compiler]") {
  std::string yaml = R"(apiVersion: v1
kind: Service
metadata: {name: tls, namespace: shop}
spec: {ports: [{name: https-api, port: 443}]}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: tls-1, namespace: shop, labels: {kubernetes.io/service-name: tls}}
addressType: IPv4
ports: [{name: https-api, port: 8443}]
endpoints: [{addresses: [10.0.0.9]}]
---
apiVersion: portico.dev/v1alpha1
kind: IngressRoute
metadata: {name: site, namespace: shop}
spec:
  routes:
  - {match: Path(`/a`), services: [{name: tls, port: 443}]}
  - {match: Path(`/b`), services: [{name: tls, port: https-api}]}
  - {match: Path(`/c`), services: [{name: tls, port: 443, scheme: http}]}
)";
  CHECK(ServicesText(yaml) ==
        "name: \"shop/site/r0/s0\" load_balancer { cluster: \"shop/tls:https-api\" scheme: "
        "\"https\" }\n"
        "name: \"shop/site/r1/s0\" load_balancer { cluster: \"shop/tls:https-api\" scheme: "
        "\"https\" }\n"
        "name: \"shop/site/r2/s0\" load_balancer { cluster: \"shop/tls:https-api\" scheme: "
        "\"http\" }\n");
}

TEST_CASE("unservable load balancers: the route answers 503 with a precise reason", "[compiler]") {
  std::string yaml = std::string(testing::kShopWebBackend) + testing::ShopSiteRoutes(R"(
  - {match: Path(`/0`), services: [{name: web, port: 80, strategy: hrw}]}
  - {match: Path(`/1`), services: [{name: web, port: 80, strategy: leasttime}]}
  - {match: Path(`/2`), services: [{name: web, port: 80, healthCheck: {mode: grpc}}]}
  - {match: Path(`/3`), services: [{name: web, port: 80, serversTransport: nope}]}
  - {match: Path(`/4`), services: [{name: web, port: 80, middlewares: [{name: m}]}]}
  - {match: Path(`/5`), services: [{name: gone, port: 80}]}
  - {match: Path(`/6`)}
  - {match: Path(`/7`), services: [{name: web, port: 80}, {name: web, port: 99}]}
)");
  const std::string s = "diagnostic IngressRoute/shop/site ";
  CHECK(Compiled(yaml) ==
        "route shop/site/r0 priority 10 hosts * -> 503 (IngressRoute/shop/site)\n"
        "route shop/site/r1 priority 10 hosts * -> 503 (IngressRoute/shop/site)\n"
        "route shop/site/r2 priority 10 hosts * -> 503 (IngressRoute/shop/site)\n"
        "route shop/site/r3 priority 10 hosts * -> 503 (IngressRoute/shop/site)\n"
        "route shop/site/r4 priority 10 hosts * -> 503 (IngressRoute/shop/site)\n"
        "route shop/site/r5 priority 10 hosts * -> 503 (IngressRoute/shop/site)\n"
        "route shop/site/r6 priority 10 hosts * -> 503 (IngressRoute/shop/site)\n"
        "route shop/site/r7 priority 10 hosts * -> 503 (IngressRoute/shop/site)\n" +
            s +
            "Unsupported: spec.routes[0].services[0].strategy: strategy hrw is not supported "
            "(wrr, p2c, leastrequests, maglev); the route answers 503\n" +
            s +
            "Unsupported: spec.routes[1].services[0].strategy: strategy leasttime is not "
            "supported (wrr, p2c, leastrequests, maglev); the route answers 503\n" +
            s +
            "Unsupported: spec.routes[2].services[0].healthCheck.mode: gRPC health checks are "
            "not supported; the route answers 503\n" +
            s +
            "ServersTransportNotFound: spec.routes[3].services[0].serversTransport: "
            "ServersTransport nope does not exist in namespace shop; the route answers 503\n" +
            s +
            "Unsupported: spec.routes[4].services[0].middlewares: service middlewares are not "
            "executed by the proxy yet; the route answers 503\n" +
            s +
            "BackendNotFound: spec.routes[5].services[0]: Service shop/gone not found; the "
            "route answers 503\n" +
            s + "NoService: spec.routes[6].services: no service; the route answers 503\n" + s +
            "PortNotFound: spec.routes[7].services[1]: Service shop/web has no port 99; the "
            "route answers 503\n");
}

TEST_CASE("several services: weighted round robin with weights, default 1", "[compiler]") {
  std::string yaml = Route(R"(    - {name: web, port: 80, weight: 3}
    - {name: web, port: http, strategy: p2c}
    - {name: web, port: 80, weight: 0}
)");
  CHECK(Compiled(yaml) ==
        "route shop/site/r0 priority 24 hosts shop.example.com -> shop/site/r0 "
        "(IngressRoute/shop/site)\n"
        "cluster shop/web:http 10.0.0.1:8080\n"
        "service shop/site/r0 weighted shop/site/r0/s0*3,shop/site/r0/s1*1,shop/site/r0/s2*0\n"
        "service shop/site/r0/s0 -> shop/web:http\n"
        "service shop/site/r0/s1 -> shop/web:http\n"
        "service shop/site/r0/s2 -> shop/web:http\n");
}

constexpr char kWeighted[] = R"(---
apiVersion: portico.dev/v1alpha1
kind: WeightedService
metadata: {name: canary, namespace: shop}
spec:
  weighted:
    services:
    - {name: web, port: 80, weight: 9}
    - {name: mirror, kind: WeightedService, weight: 1}
    sticky: {cookie: {name: canary}}
---
apiVersion: portico.dev/v1alpha1
kind: WeightedService
metadata: {name: mirror, namespace: shop}
spec:
  mirroring:
    name: web
    port: 80
    mirrors: [{name: web, port: http, percent: 10}]
    maxBodySize: 1024
---
apiVersion: portico.dev/v1alpha1
kind: WeightedService
metadata: {name: unused, namespace: shop}
spec:
  weighted: {services: [{name: web, port: 80}]}
)";

TEST_CASE("WeightedService nesting: one shared definition for every route that uses it",
          "[compiler]") {
  std::string yaml = std::string(testing::kShopWebBackend) + kWeighted + R"(---
apiVersion: portico.dev/v1alpha1
kind: IngressRoute
metadata: {name: a, namespace: shop}
spec:
  routes:
  - {match: Path(`/a`), services: [{name: canary, kind: WeightedService}]}
---
apiVersion: traefik.io/v1alpha1
kind: IngressRoute
metadata: {name: b, namespace: shop}
spec:
  routes:
  - {match: Path(`/b`), services: [{name: canary, kind: TraefikService, weight: 5},
                                   {name: web, port: 80}]}
)";
  CHECK(Compiled(yaml) ==
        "route shop/a/r0 priority 10 hosts * -> WeightedService/shop/canary "
        "(IngressRoute/shop/a)\n"
        "route shop/b/r0 priority 10 hosts * -> shop/b/r0 (IngressRoute/shop/b)\n"
        "cluster shop/web:http 10.0.0.1:8080\n"
        "service WeightedService/shop/canary weighted WeightedService/shop/canary/s0*9,"
        "WeightedService/shop/mirror*1 sticky\n"
        "service WeightedService/shop/canary/s0 -> shop/web:http\n"
        "service WeightedService/shop/mirror mirror WeightedService/shop/mirror/main "
        "WeightedService/shop/mirror/m0@10\n"
        "service WeightedService/shop/mirror/m0 -> shop/web:http\n"
        "service WeightedService/shop/mirror/main -> shop/web:http\n"
        "service shop/b/r0 weighted WeightedService/shop/canary*5,shop/b/r0/s1*1\n"
        "service shop/b/r0/s1 -> shop/web:http\n");
  CHECK(ServicesText(yaml).find(
            "name: \"WeightedService/shop/mirror\" mirroring { main: "
            "\"WeightedService/shop/mirror/main\" mirrors { service: "
            "\"WeightedService/shop/mirror/m0\" percent: 10 } mirror_body: true max_body_size: "
            "1024 }\n") != std::string::npos);
  CHECK(ServicesText(yaml).find("weighted { children { service: "
                                "\"WeightedService/shop/canary/s0\" weight: 9 } children { "
                                "service: \"WeightedService/shop/mirror\" weight: 1 } sticky { "
                                "name: \"canary\" } }") != std::string::npos);
}

TEST_CASE("mirroring defaults: the body mirrored, no size limit", "[compiler]") {
  std::string yaml = std::string(testing::kShopWebBackend) + R"(---
apiVersion: portico.dev/v1alpha1
kind: WeightedService
metadata: {name: m, namespace: shop}
spec:
  mirroring: {name: web, port: 80}
---
apiVersion: portico.dev/v1alpha1
kind: IngressRoute
metadata: {name: a, namespace: shop}
spec:
  routes:
  - {match: Path(`/a`), services: [{name: m, kind: WeightedService}]}
)";
  CHECK(ServicesText(yaml) ==
        "name: \"WeightedService/shop/m\" mirroring { main: \"WeightedService/shop/m/main\" "
        "mirror_body: true max_body_size: -1 }\n"
        "name: \"WeightedService/shop/m/main\" load_balancer { cluster: \"shop/web:http\" }\n");
}

std::string WeightedRef(const std::string& name, const std::string& child) {
  return "---\napiVersion: portico.dev/v1alpha1\nkind: WeightedService\nmetadata: {name: " + name +
         ", namespace: shop}\nspec:\n  weighted: {services: [{name: " + child +
         ", kind: WeightedService}]}\n";
}

std::string RouteTo(const std::string& weighted) {
  return "---\napiVersion: portico.dev/v1alpha1\nkind: IngressRoute\nmetadata: {name: r, "
         "namespace: shop}\nspec:\n  routes:\n  - {match: Path(`/`), services: [{name: " +
         weighted + ", kind: WeightedService}]}\n";
}

TEST_CASE("a WeightedService cycle is named, routes through it answer 503", "[compiler]") {
  std::string yaml = std::string(testing::kShopWebBackend) + WeightedRef("a", "b") +
                     WeightedRef("b", "a") + RouteTo("b");
  CHECK(Compiled(yaml) ==
        "route shop/r/r0 priority 9 hosts * -> 503 (IngressRoute/shop/r)\n"
        // Compiled in name order: a, then b through a, where the cycle closes.
        "diagnostic IngressRoute/shop/r Cycle: spec.routes[0].services[0]: WeightedService "
        "shop/b: spec.weighted.services[0]: WeightedService cycle shop/a -> shop/b -> shop/a; "
        "the route answers 503\n"
        "diagnostic WeightedService/shop/a Cycle: spec.weighted.services[0]: WeightedService "
        "shop/b: spec.weighted.services[0]: WeightedService cycle shop/a -> shop/b -> shop/a; "
        "routes that use it answer 503\n"
        "diagnostic WeightedService/shop/b Cycle: spec.weighted.services[0]: WeightedService "
        "cycle shop/a -> shop/b -> shop/a; routes that use it answer 503\n");
}

TEST_CASE("WeightedServices nest at most 8 deep", "[compiler]") {
  // w1 -> w2 -> ... -> wN -> web: wN has depth 1, w1 depth N.
  auto chain = [](int n) {
    std::string yaml = testing::kShopWebBackend;
    for (int i = 1; i < n; ++i) {
      yaml += WeightedRef("w" + std::to_string(i), "w" + std::to_string(i + 1));
    }
    yaml += "---\napiVersion: portico.dev/v1alpha1\nkind: WeightedService\nmetadata: {name: w" +
            std::to_string(n) +
            ", namespace: shop}\nspec:\n  weighted: {services: [{name: web, port: 80}]}\n";
    return yaml + RouteTo("w1");
  };
  std::string eight = Compiled(chain(8));
  CHECK(eight.starts_with("route shop/r/r0 priority 9 hosts * -> WeightedService/shop/w1 "));
  CHECK(eight.find("diagnostic") == std::string::npos);
  std::string nine = Compiled(chain(9));
  CHECK(nine.starts_with("route shop/r/r0 priority 9 hosts * -> 503 "));
  CHECK(nine.find("diagnostic WeightedService/shop/w1 NestingTooDeep: spec.weighted: "
                  "WeightedServices nest 9 deep, more than 8; routes that use it answer 503\n") !=
        std::string::npos);
  // w2 is 8 deep on its own: fine wherever it is used.
  CHECK(nine.find("diagnostic WeightedService/shop/w2") == std::string::npos);
}

TEST_CASE("unsupported and missing WeightedServices, cross-namespace references", "[compiler]") {
  std::string yaml = std::string(testing::kShopWebBackend) + R"(---
apiVersion: portico.dev/v1alpha1
kind: WeightedService
metadata: {name: hrw, namespace: shop}
spec:
  highestRandomWeight: {services: [{name: web, port: 80}]}
---
apiVersion: portico.dev/v1alpha1
kind: WeightedService
metadata: {name: fo, namespace: shop}
spec:
  failover: {service: {name: web, port: 80}, fallback: {name: web, port: 80}}
---
apiVersion: portico.dev/v1alpha1
kind: IngressRoute
metadata: {name: r, namespace: other}
spec:
  routes:
  - {match: Path(`/0`), services: [{name: web, namespace: shop, port: 80}]}
---
apiVersion: portico.dev/v1alpha1
kind: IngressRoute
metadata: {name: r, namespace: shop}
spec:
  routes:
  - {match: Path(`/1`), services: [{name: nope, kind: WeightedService}]}
)";
  CHECK(Compiled(yaml) ==
        "route other/r/r0 priority 10 hosts * -> 503 (IngressRoute/other/r)\n"
        "route shop/r/r0 priority 10 hosts * -> 503 (IngressRoute/shop/r)\n"
        "diagnostic IngressRoute/other/r CrossNamespace: spec.routes[0].services[0].namespace: "
        "shop is another namespace, refused (cross-namespace references are off, "
        "--allow-cross-namespace); the route answers 503\n"
        "diagnostic IngressRoute/shop/r WeightedServiceNotFound: spec.routes[0].services[0]: "
        "WeightedService shop/nope does not exist; the route answers 503\n"
        "diagnostic WeightedService/shop/fo Unsupported: spec.failover: failover is not "
        "supported (weighted and mirroring are); routes that use it answer 503\n"
        "diagnostic WeightedService/shop/hrw Unsupported: spec.highestRandomWeight: "
        "highestRandomWeight is not supported (weighted and mirroring are); routes that use it "
        "answer 503\n");
  std::string allowed = Compiled(yaml, {.allow_cross_namespace = true});
  CHECK(allowed.starts_with("route other/r/r0 priority 10 hosts * -> other/r/r0/s0 "));
}

}  // namespace
}  // namespace portico::controlplane
