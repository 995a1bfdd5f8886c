// IngressRouteTCP compilation: rules into matchers, hosts and priorities,
// the match order shared with HTTP routes, entrypoints, ingress classes,
// clusters shared with HTTP routes and only ready endpoints dialled; a
// route that cannot be compiled is left out with the field named, one
// whose references do not resolve closes its connections. Inputs are
// YAML; expected outputs are literal.
#include <catch2/catch.hpp>

#include "controlplane/compiler/compiler.h"
#include "controlplane/translate/snapshot_translator.h"
#include "tests/controlplane/support/manifests.h"

namespace portico::controlplane {
namespace {

using testing::Describe;
using testing::ShopTcpRoute;
using testing::StateFromYaml;

std::string WithBackends(const std::string& objects) {
  return std::string(testing::kShopL4Backends) + objects;
}

TEST_CASE("TCP: rules, hosts, priorities and the match order", "[compiler][tcp]") {
  std::string yaml = WithBackends(ShopTcpRoute("b", R"(  entryPoints: [tls, tcp, tls]
  tls: {}
  routes:
  - {match: HostSNI(`a.test`), services: [{name: db, port: 5432}]}
  - {match: HostSNI(`*`), services: [{name: db, port: pg, weight: 3}]}
  - match: HostSNI(`B.test`) && ALPN(`h2`)
    priority: 100
    services: [{name: db, port: pg}]
)") + ShopTcpRoute("a", R"(  routes:
  - {match: HostSNI(`*`), services: [{name: db, port: pg, weight: 2}]}
  - {match: ClientIP(`10.1.2.3/8`), services: [{name: db, port: pg, weight: 0}]}
)"));
  CompileResult result = Compile(StateFromYaml(yaml));
  // Priority first (explicit 100; rule lengths 22 and 17; -1 for a lone
  // HostSNI(`*`)), then the lexically first object, then the route index.
  CHECK(Describe(result) ==
        "cluster shop/db:pg 10.0.1.1:5432\n"
        "tcp-route shop/b/r2 priority 100 hosts b.test tls on tcp,tls -> shop/db:pg*1 "
        "(IngressRouteTCP/shop/b)\n"
        "tcp-route shop/a/r1 priority 22 hosts * -> shop/db:pg*0 (IngressRouteTCP/shop/a)\n"
        "tcp-route shop/b/r0 priority 17 hosts a.test tls on tcp,tls -> shop/db:pg*1 "
        "(IngressRouteTCP/shop/b)\n"
        "tcp-route shop/a/r0 priority -1 hosts * -> shop/db:pg*2 (IngressRouteTCP/shop/a)\n"
        "tcp-route shop/b/r1 priority -1 hosts * tls on tcp,tls -> shop/db:pg*3 "
        "(IngressRouteTCP/shop/b)\n");
  v1::Snapshot snapshot = TranslateSnapshot(result);
  REQUIRE(snapshot.tcp_routes_size() == 5);
  CHECK(testing::ProtoLine(snapshot.tcp_routes(0)) ==
        "name: \"shop/b/r2\" source: \"IngressRouteTCP/shop/b\" entrypoints: \"tcp\" "
        "entrypoints: \"tls\" match { all_of { matchers { host: \"b.test\" } matchers { alpn: "
        "\"h2\" } } } hosts: \"b.test\" priority: 100 backends { cluster: \"shop/db:pg\" weight: "
        "1 } tls { }");
  // ClientIP is canonical; a route without tls has no TcpRouteTls.
  CHECK(testing::ProtoLine(snapshot.tcp_routes(1)) ==
        "name: \"shop/a/r1\" source: \"IngressRouteTCP/shop/a\" match { client_ip: "
        "\"10.0.0.0/8\" } priority: 22 backends { cluster: \"shop/db:pg\" }");
  CHECK(snapshot.clusters_size() == 1);
}

TEST_CASE("TCP: clusters are shared with HTTP routes and name ports alike", "[compiler][tcp]") {
  std::string yaml = std::string(testing::kShopWebBackend) + testing::ShopSiteRoutes(R"(
  - {match: Host(`site.test`), services: [{name: web, port: 80}]}
)") + ShopTcpRoute("raw", R"(  routes:
  - {match: HostSNI(`*`), services: [{name: web, port: http}, {name: web, port: 80, weight: 2}]}
)");
  CompileResult result = Compile(StateFromYaml(yaml));
  CHECK(Describe(result) ==
        "route shop/site/r0 priority 17 hosts site.test -> shop/site/r0/s0 "
        "(IngressRoute/shop/site)\n"
        "cluster shop/web:http 10.0.0.1:8080\n"
        "service shop/site/r0/s0 -> shop/web:http\n"
        "tcp-route shop/raw/r0 priority -1 hosts * -> shop/web:http*1,shop/web:http*2 "
        "(IngressRouteTCP/shop/raw)\n");
}

TEST_CASE("TCP: only ready endpoints are dialled; terminating ones are flagged",
          "[compiler][tcp]") {
  // dns-tcp has a ready and a terminating endpoint: the cluster holds the
  // ready one only. A Service with only a terminating endpoint gives a
  // cluster whose endpoint is flagged, which TCP proxies never dial.
  std::string yaml = WithBackends(R"(---
apiVersion: v1
kind: Service
metadata: {name: old, namespace: shop}
spec: {ports: [{port: 7000}]}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: old-1, namespace: shop, labels: {kubernetes.io/service-name: old}}
addressType: IPv4
ports: [{port: 7000}]
endpoints: [{addresses: [10.0.3.1], conditions: {ready: false, serving: true, terminating: true}}]
)" + ShopTcpRoute("t", R"(  routes:
  - {match: HostSNI(`*`), services: [{name: dns, port: 53}, {name: old, port: 7000}]}
)"));
  CompileResult result = Compile(StateFromYaml(yaml));
  CHECK(Describe(result) ==
        "cluster shop/dns:dns-tcp 10.0.2.1:5353\n"
        "cluster shop/old:7000 10.0.3.1:7000~\n"
        "tcp-route shop/t/r0 priority -1 hosts * -> shop/dns:dns-tcp*1,shop/old:7000*1 "
        "(IngressRouteTCP/shop/t)\n");
  v1::Snapshot snapshot = TranslateSnapshot(result);
  CHECK(testing::ProtoLine(snapshot.clusters(1)) ==
        "name: \"shop/old:7000\" endpoints { address: \"10.0.3.1\" port: 7000 terminating: true }");
}

TEST_CASE("TCP: a route that cannot be compiled is left out, naming the field", "[compiler][tcp]") {
  struct Case {
    std::string tls;  // "  tls: {}\n" or ""
    std::string route;
    std::string diagnostic;
  };
  std::vector<Case> cases = {
      {"", "{match: HostSNI(`a.test`), services: [{name: db, port: pg}]}",
       "IngressRouteTCP/shop/t InvalidRule: spec.routes[0].match: HostSNI and HostSNIRegexp need "
       "spec.tls (a connection without TLS has no server name; only HostSNI(`*`) matches it); "
       "the route is left out"},
      {"",
       "{match: \"ClientIP(`10.0.0.1`) && !HostSNIRegexp(`^a`)\", services: [{name: db, port: "
       "pg}]}",
       "IngressRouteTCP/shop/t InvalidRule: spec.routes[0].match: HostSNI and HostSNIRegexp need "
       "spec.tls (a connection without TLS has no server name; only HostSNI(`*`) matches it); "
       "the route is left out"},
      {"  tls: {}\n", "{match: HostSNI(`a.test`), syntax: v2, services: [{name: db, port: pg}]}",
       "IngressRouteTCP/shop/t Unsupported: spec.routes[0].syntax: only the v3 rule syntax is "
       "supported; the route is left out"},
      {"  tls: {}\n", "{match: Host(`a.test`), services: [{name: db, port: pg}]}",
       "IngressRouteTCP/shop/t InvalidRule: spec.routes[0].match: column 1: "},
  };
  for (const Case& c : cases) {
    std::string yaml = WithBackends(ShopTcpRoute("t", c.tls + "  routes:\n  - " + c.route +
                                                          "\n  - {match: HostSNI(`*`), services: "
                                                          "[{name: db, port: pg}]}\n") +
                                    ShopTcpRoute("u", R"(  routes:
  - {match: HostSNI(`*`), priority: 5, services: [{name: db, port: pg}]}
)"));
    CompileResult result = Compile(StateFromYaml(yaml));
    INFO(c.route);
    // The object's other route and the other object are untouched.
    REQUIRE(result.tcp_routes.size() == 2);
    CHECK(result.tcp_routes[0].name == "shop/u/r0");
    CHECK(result.tcp_routes[1].name == "shop/t/r1");
    REQUIRE(result.diagnostics.size() == 1);
    const Diagnostic& d = result.diagnostics[0];
    CHECK_THAT(d.object + " " + d.reason + ": " + d.message, Catch::StartsWith(c.diagnostic));
  }
}

TEST_CASE("TCP: a priority the decoder would refuse is refused again", "[compiler][tcp]") {
  // The decoder caps priorities; the compiler checks again (objects built
  // in code, or a decoder change, must not reach the proxy).
  ClusterState state = StateFromYaml(WithBackends(ShopTcpRoute("t", R"(  routes:
  - {match: HostSNI(`*`), services: [{name: db, port: pg}]}
)")));
  state.crds.ingress_routes_tcp.begin()->second.spec.routes[0].priority = INT64_MAX;
  CHECK(Describe(Compile(state)) ==
        "diagnostic IngressRouteTCP/shop/t InvalidPriority: spec.routes[0].priority: priority "
        "9223372036854775807 is above the maximum 9223372036854774807; the route is left out\n");
}

TEST_CASE("TCP: unresolved services keep the route, closing its connections", "[compiler][tcp]") {
  struct Case {
    std::string services;
    std::string diagnostic;
  };
  std::vector<Case> cases = {
      {"[{name: gone, port: 1}]",
       "IngressRouteTCP/shop/t BackendNotFound: spec.routes[0].services[0]: Service shop/gone "
       "not found; the route closes its connections"},
      {"[{name: db, port: pg}, {name: dns, port: dns}]",
       "IngressRouteTCP/shop/t PortNotFound: spec.routes[0].services[1]: Service shop/dns port "
       "named \"dns\" is UDP, not TCP; the route closes its connections"},
      {"[{name: db, port: 5433}]",
       "IngressRouteTCP/shop/t PortNotFound: spec.routes[0].services[0]: Service shop/db has no "
       "port 5433; the route closes its connections"},
      {"[{name: db, namespace: other, port: pg}]",
       "IngressRouteTCP/shop/t CrossNamespace: spec.routes[0].services[0].namespace: Service "
       "other/db is in another namespace, refused (cross-namespace references are off, "
       "--allow-cross-namespace); the route closes its connections"},
      {"[]",
       "IngressRouteTCP/shop/t NoService: spec.routes[0].services: no service; the route closes "
       "its connections"},
  };
  for (const Case& c : cases) {
    std::string yaml = WithBackends(
        ShopTcpRoute("t", "  routes:\n  - {match: HostSNI(`*`), services: " + c.services + "}\n"));
    CompileResult result = Compile(StateFromYaml(yaml));
    INFO(c.services);
    CHECK(Describe(result) ==
          "tcp-route shop/t/r0 priority -1 hosts * -> closed "
          "(IngressRouteTCP/shop/t)\ndiagnostic " +
              c.diagnostic + "\n");
  }
}

TEST_CASE("TCP: another namespace's Service with --allow-cross-namespace", "[compiler][tcp]") {
  std::string yaml =
      std::string(testing::kShopL4Backends) + R"(---
apiVersion: v1
kind: Service
metadata: {name: db, namespace: other}
spec: {ports: [{name: pg, port: 5432}]}
)" +
      ShopTcpRoute("t",
                   "  routes:\n  - {match: HostSNI(`*`), services: [{name: db, namespace: "
                   "other, port: pg}]}\n");
  CHECK(Describe(Compile(StateFromYaml(yaml), {.allow_cross_namespace = true})) ==
        "cluster other/db:pg\n"
        "tcp-route shop/t/r0 priority -1 hosts * -> other/db:pg*1 (IngressRouteTCP/shop/t)\n");
}

TEST_CASE("TCP and UDP: ingress classes and traefik.io kinds", "[compiler][tcp][udp]") {
  std::string yaml = WithBackends(R"(---
apiVersion: traefik.io/v1alpha1
kind: IngressRouteTCP
metadata: {name: compat, namespace: shop}
spec:
  routes: [{match: HostSNI(`*`), services: [{name: db, port: pg}]}]
---
apiVersion: portico.dev/v1alpha1
kind: IngressRouteTCP
metadata: {name: theirs, namespace: shop}
spec:
  ingressClassName: nginx
  routes: [{match: HostSNI(`*`), services: [{name: db, port: pg}]}]
---
apiVersion: traefik.io/v1alpha1
kind: IngressRouteUDP
metadata: {name: compat, namespace: shop}
spec:
  ingressClassName: portico
  routes: [{services: [{name: dns, port: 53}]}]
---
apiVersion: portico.dev/v1alpha1
kind: IngressRouteUDP
metadata: {name: theirs, namespace: shop}
spec:
  ingressClassName: nginx
  entryPoints: [other]
  routes: [{services: [{name: dns, port: 53}]}]
)");
  CHECK(Describe(Compile(StateFromYaml(yaml))) ==
        "cluster shop/db:pg 10.0.1.1:5432\n"
        "cluster shop/dns:dns 10.0.2.1:5353\n"
        "tcp-route shop/compat/r0 priority -1 hosts * -> shop/db:pg*1 "
        "(IngressRouteTCP/shop/compat)\n"
        "udp-route shop/compat -> shop/dns:dns*1 (IngressRouteUDP/shop/compat)\n");
  // Objects without a class are every controller's.
  CHECK(Describe(Compile(StateFromYaml(yaml), {.ingress_class = "nginx"})) ==
        "cluster shop/db:pg 10.0.1.1:5432\n"
        "cluster shop/dns:dns 10.0.2.1:5353\n"
        "tcp-route shop/compat/r0 priority -1 hosts * -> shop/db:pg*1 "
        "(IngressRouteTCP/shop/compat)\n"
        "tcp-route shop/theirs/r0 priority -1 hosts * -> shop/db:pg*1 "
        "(IngressRouteTCP/shop/theirs)\n"
        "udp-route shop/theirs on other -> shop/dns:dns*1 (IngressRouteUDP/shop/theirs)\n");
}

}  // namespace
}  // namespace portico::controlplane
