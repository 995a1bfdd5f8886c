// Cluster resolution: Service ports by number and name, EndpointSlice ports,
// readiness, duplicates and order. Expected outputs are written out literally.
#include <catch2/catch.hpp>

#include "controlplane/compiler/compiler.h"
#include "tests/controlplane/support/manifests.h"

namespace portico::controlplane {
namespace {

using testing::Describe;
using testing::StateFromYaml;

constexpr char kServices[] = R"(
apiVersion: v1
kind: Service
metadata: {name: api, namespace: app}
spec:
  ports:
  - {name: http, port: 80, targetPort: web}
  - {name: metrics, port: 9090}
---
apiVersion: v1
kind: Service
metadata: {name: solo, namespace: app}
spec: {ports: [{port: 8080}]}
---
apiVersion: v1
kind: Service
metadata: {name: draining, namespace: app}
spec: {ports: [{name: http, port: 80}]}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: api-a, namespace: app, labels: {kubernetes.io/service-name: api}}
addressType: IPv4
ports: [{name: http, port: 8080}, {name: metrics, port: 9100}]
endpoints:
- addresses: [10.0.0.10]
- addresses: [10.0.0.9]
- addresses: [10.0.0.11]
  conditions: {ready: false}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: api-b, namespace: app, labels: {kubernetes.io/service-name: api}}
addressType: IPv4
ports: [{name: http, port: 8080}]
endpoints:
- addresses: [10.0.0.9]
- addresses: [10.0.0.2]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: solo-a, namespace: app, labels: {kubernetes.io/service-name: solo}}
addressType: IPv4
ports: [{port: 8080}]
endpoints: [{addresses: [10.1.0.1]}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: solo-other-ns, namespace: elsewhere, labels: {kubernetes.io/service-name: solo}}
addressType: IPv4
ports: [{port: 8080}]
endpoints: [{addresses: [10.9.9.9]}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: draining-a, namespace: app, labels: {kubernetes.io/service-name: draining}}
addressType: IPv4
ports: [{name: http, port: 80}]
endpoints:
- addresses: [10.2.0.1]
  conditions: {ready: false, serving: true, terminating: true}
- addresses: [10.2.0.2]
  conditions: {ready: false, serving: false, terminating: true}
- addresses: [10.2.0.3]
  conditions: {ready: false}
---
)";

TEST_CASE("clusters resolve Service ports through EndpointSlices", "[compiler]") {
  std::string yaml = std::string(kServices) + R"(
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: routes, namespace: app}
spec:
  rules:
  - http:
      paths:
      - {path: /api, pathType: Prefix, backend: {service: {name: api, port: {name: http}}}}
      - {path: /metrics, pathType: Prefix, backend: {service: {name: api, port: {number: 9090}}}}
      - {path: /solo, pathType: Prefix, backend: {service: {name: solo, port: {number: 8080}}}}
      - {path: /drain, pathType: Prefix, backend: {service: {name: draining, port: {name: http}}}}
      - {path: /api2, pathType: Prefix, backend: {service: {name: api, port: {number: 80}}}}
)";
  CHECK(Describe(Compile(StateFromYaml(yaml))) ==
        "route app/routes/r0/p1 * Prefix /metrics -> app/api:metrics (Ingress/app/routes)\n"
        "route app/routes/r0/p3 * Prefix /drain -> app/draining:http (Ingress/app/routes)\n"
        "route app/routes/r0/p2 * Prefix /solo -> app/solo:8080 (Ingress/app/routes)\n"
        "route app/routes/r0/p4 * Prefix /api2 -> app/api:http (Ingress/app/routes)\n"
        "route app/routes/r0/p0 * Prefix /api -> app/api:http (Ingress/app/routes)\n"
        "cluster app/api:http 10.0.0.2:8080 10.0.0.9:8080 10.0.0.10:8080\n"
        "cluster app/api:metrics 10.0.0.9:9100 10.0.0.10:9100\n"
        "cluster app/draining:http 10.2.0.1:80~\n"
        "cluster app/solo:8080 10.1.0.1:8080\n");
}

TEST_CASE("IPv4 endpoints sort before IPv6, numerically", "[compiler]") {
  std::string yaml = R"(
apiVersion: v1
kind: Service
metadata: {name: dual}
spec: {ports: [{name: http, port: 80}]}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: dual-v6, labels: {kubernetes.io/service-name: dual}}
addressType: IPv6
ports: [{name: http, port: 80}]
endpoints: [{addresses: ['fd00::10']}, {addresses: ['fd00::9']}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: dual-v4, labels: {kubernetes.io/service-name: dual}}
addressType: IPv4
ports: [{name: http, port: 80}]
endpoints: [{addresses: [192.168.0.10]}, {addresses: [192.168.0.9]}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: dual}
spec:
  defaultBackend: {service: {name: dual, port: {number: 80}}}
)";
  CHECK(Describe(Compile(StateFromYaml(yaml))) ==
        "route default/dual/default * Prefix / -> default/dual:http (Ingress/default/dual)\n"
        "cluster default/dual:http 192.168.0.9:80 192.168.0.10:80 [fd00::9]:80 [fd00::10]:80\n");
}

}  // namespace
}  // namespace portico::controlplane
