// Equal input, in any order, gives a byte-equal snapshot and the same version:
// routes, clusters, services (WeightedServices nested, mirrored, in a
// cycle) and middlewares; TCP and UDP routes, TCP middlewares and
// transports.
#include <algorithm>
#include <catch2/catch.hpp>
#include <random>

#include "controlplane/compiler/compiler.h"
#include "controlplane/model/cluster_state.h"
#include "controlplane/translate/snapshot_translator.h"
#include "tests/controlplane/support/manifests.h"

namespace portico::controlplane {
namespace {

constexpr char kManifests[] = R"yaml(
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec: {ports: [{name: http, port: 80}, {name: admin, port: 81}]}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: web-1, namespace: shop, labels: {kubernetes.io/service-name: web}}
addressType: IPv4
ports: [{name: http, port: 8080}, {name: admin, port: 8081}]
endpoints: [{addresses: [10.0.0.3]}, {addresses: [10.0.0.1]}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: web-2, namespace: shop, labels: {kubernetes.io/service-name: web}}
addressType: IPv4
ports: [{name: http, port: 8080}]
endpoints: [{addresses: [10.0.0.2]}, {addresses: [10.0.0.1]}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: b, namespace: shop}
spec:
  rules:
  - host: shop.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {name: http}}}}
      - {path: /admin, pathType: Exact, backend: {service: {name: web, port: {number: 81}}}}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: a, namespace: shop}
spec:
  defaultBackend: {service: {name: web, port: {number: 80}}}
  rules:
  - host: shop.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: missing, port: {number: 80}}}}
---
apiVersion: portico.dev/v1alpha1
kind: IngressRoute
metadata: {name: zenith, namespace: shop}
spec:
  routes:
  - {match: Host(`api.example.com`) && PathPrefix(`/v1`), services: [{name: web, port: 80}]}
  - {match: "Host(`api.example.com`) || Header(`X-Api`, `1`)", services: [{name: web, port: http}]}
---
apiVersion: portico.dev/v1alpha1
kind: IngressRoute
metadata: {name: yonder, namespace: shop}
spec:
  routes:
  # The same rule as zenith's first route (a conflict yonder wins) and one of equal
  # priority to zenith's second route (a tie broken by name).
  - {match: Host(`api.example.com`) && PathPrefix(`/v1`), services: [{name: web, port: 81}]}
  - {match: "Host(`api.example.com`) || Header(`X-Api`, `2`)", services: [{name: web, port: 80}]}
---
apiVersion: portico.dev/v1alpha1
kind: IngressRoute
metadata: {name: canary, namespace: shop}
spec:
  routes:
  - match: Host(`canary.example.com`)
    middlewares: [{name: retry}, {name: hsts}]
    timeouts: {connect: 1s, total: 10s}
    services:
    - {name: split, kind: WeightedService, weight: 2}
    - name: web
      port: admin
      strategy: maglev
      hashKey: {cookie: user}
      healthCheck: {path: /h, headers: {X-B: b, X-A: a}}
  - {match: Host(`loop.example.com`), services: [{name: loop-a, kind: WeightedService}]}
---
apiVersion: portico.dev/v1alpha1
kind: WeightedService
metadata: {name: split, namespace: shop}
spec:
  weighted:
    sticky: {cookie: {name: s}}
    services: [{name: web, port: 80, weight: 3}, {name: copy, kind: WeightedService}]
---
apiVersion: portico.dev/v1alpha1
kind: WeightedService
metadata: {name: copy, namespace: shop}
spec:
  mirroring: {name: web, port: 80, mirrors: [{name: web, port: admin, percent: 5}]}
---
apiVersion: portico.dev/v1alpha1
kind: WeightedService
metadata: {name: loop-b, namespace: shop}
spec:
  weighted: {services: [{name: loop-a, kind: WeightedService}]}
---
apiVersion: portico.dev/v1alpha1
kind: WeightedService
metadata: {name: loop-a, namespace: shop}
spec:
  weighted: {services: [{name: loop-b, kind: WeightedService}]}
---
apiVersion: portico.dev/v1alpha1
kind: Middleware
metadata: {name: retry, namespace: shop}
spec:
  retry: {attempts: 2}
---
apiVersion: portico.dev/v1alpha1
kind: Middleware
metadata: {name: hsts, namespace: shop}
spec:
  headers: {stsSeconds: 5}
---
apiVersion: v1
kind: Service
metadata: {name: dns, namespace: shop}
spec: {ports: [{port: 53, protocol: UDP}]}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: dns-1, namespace: shop, labels: {kubernetes.io/service-name: dns}}
addressType: IPv4
ports: [{port: 5353, protocol: UDP}]
endpoints: [{addresses: [10.0.0.9]}, {addresses: [10.0.0.8]}]
---
apiVersion: portico.dev/v1alpha1
kind: IngressRouteTCP
metadata: {name: tcp-b, namespace: shop}
spec:
  tls: {passthrough: true}
  routes:
  - match: HostSNI(`a.example.com`)
    middlewares: [{name: limit}, {name: allow}]
    services: [{name: web, port: 80, serversTransport: st}]
  - {match: HostSNI(`*`), services: [{name: web, port: admin, proxyProtocol: {}}]}
---
apiVersion: portico.dev/v1alpha1
kind: IngressRouteTCP
metadata: {name: tcp-a, namespace: shop}
spec:
  routes:
  # The same priority as tcp-b's second route: a tie broken by name.
  - {match: HostSNI(`*`), middlewares: [{name: allow}], services: [{name: web, port: 81, weight: 2}]}
---
apiVersion: portico.dev/v1alpha1
kind: MiddlewareTCP
metadata: {name: limit, namespace: shop}
spec: {inFlightConn: {amount: 3}}
---
apiVersion: portico.dev/v1alpha1
kind: MiddlewareTCP
metadata: {name: allow, namespace: shop}
spec: {ipAllowList: {sourceRange: [10.9.9.9/8, 192.168.1.1]}}
---
apiVersion: portico.dev/v1alpha1
kind: ServersTransportTCP
metadata: {name: st, namespace: shop}
spec: {dialTimeout: 2s, tls: {serverName: web.internal}}
---
apiVersion: portico.dev/v1alpha1
kind: IngressRouteUDP
metadata: {name: udp-b, namespace: shop}
spec:
  entryPoints: [ntp, dns]
  routes: [{services: [{name: dns, port: 53, weight: 2}, {name: dns, port: 53}]}]
---
apiVersion: portico.dev/v1alpha1
kind: IngressRouteUDP
metadata: {name: udp-a, namespace: shop}
spec:
  entryPoints: [ntp]
  routes: [{services: [{name: dns, port: 53}]}]
)yaml";

std::string SerializedSnapshot(const std::vector<SourceObject>& objects, std::string* version) {
  ClusterStateBuild build = BuildClusterState(objects);
  REQUIRE(build.issues.empty());
  v1::Snapshot snapshot = TranslateSnapshot(Compile(build.state));
  // The input reaches every part of the snapshot whose order is at stake.
  CHECK(snapshot.services_size() == 10);
  CHECK(snapshot.middlewares_size() == 2);
  CHECK(snapshot.tcp_routes_size() == 3);
  CHECK(snapshot.udp_routes_size() == 2);
  CHECK(snapshot.tcp_middlewares_size() == 2);
  CHECK(snapshot.tcp_servers_transports_size() == 2);  // st and tcp-b's derived one
  *version = snapshot.version();
  return snapshot.SerializeAsString();
}

TEST_CASE("shuffled input gives the same snapshot bytes and version", "[compiler][determinism]") {
  std::string expected_version;
  std::string expected =
      SerializedSnapshot(testing::ObjectsFromYaml(kManifests), &expected_version);
  REQUIRE(expected_version.size() == 64);
  std::vector<size_t> order(testing::ObjectsFromYaml(kManifests).size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::mt19937 random(20240101);  // seeded: a failure is reproducible
  for (int round = 0; round < 20; ++round) {
    // Documents cannot be swapped in place (RapidJSON asserts on self-move),
    // so the shuffled list is rebuilt from a shuffled index.
    std::shuffle(order.begin(), order.end(), random);
    std::vector<SourceObject> parsed = testing::ObjectsFromYaml(kManifests);
    std::vector<SourceObject> shuffled;
    for (size_t i : order) shuffled.push_back(std::move(parsed[i]));
    std::string version;
    CHECK(SerializedSnapshot(shuffled, &version) == expected);
    CHECK(version == expected_version);
  }
}

TEST_CASE("a changed endpoint changes the version", "[compiler][determinism]") {
  std::string version_before, version_after;
  SerializedSnapshot(testing::ObjectsFromYaml(kManifests), &version_before);
  std::string changed = kManifests;
  changed.replace(changed.find("10.0.0.3"), 8, "10.0.0.4");
  SerializedSnapshot(testing::ObjectsFromYaml(changed), &version_after);
  CHECK(version_before != version_after);
}

}  // namespace
}  // namespace portico::controlplane
