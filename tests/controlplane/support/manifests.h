// Test support: builds a ClusterState from YAML text and prints a
// CompileResult as compact text, so compiler tests can state their expected
// output literally. Single-threaded.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <google/protobuf/message.h>

#include "controlplane/compiler/compile_result.h"
#include "controlplane/model/cluster_state.h"
#include "controlplane/source/source_object.h"

namespace portico::controlplane::testing {

// Service shop/web (port "http", 80) with one ready endpoint 10.0.0.1:8080:
// the backend most compiler tests route to. Ends with a newline; append
// "---" and further documents.
inline constexpr char kShopWebBackend[] = R"(apiVersion: v1
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
)";

// Service shop/db (TCP port "pg", 5432; ready endpoint 10.0.1.1:5432) and
// Service shop/dns (53/UDP named "dns", 53/TCP named "dns-tcp"; ready
// 10.0.2.1, terminating 10.0.2.9): the backends of the TCP and UDP
// compiler tests. Ends with a newline.
inline constexpr char kShopL4Backends[] = R"(apiVersion: v1
kind: Service
metadata: {name: db, namespace: shop}
spec: {ports: [{name: pg, port: 5432}]}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: db-1, namespace: shop, labels: {kubernetes.io/service-name: db}}
addressType: IPv4
ports: [{name: pg, port: 5432}]
endpoints: [{addresses: [10.0.1.1]}]
---
apiVersion: v1
kind: Service
metadata: {name: dns, namespace: shop}
spec: {ports: [{name: dns, port: 53, protocol: UDP}, {name: dns-tcp, port: 53, protocol: TCP}]}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: dns-1, namespace: shop, labels: {kubernetes.io/service-name: dns}}
addressType: IPv4
ports: [{name: dns, port: 5353, protocol: UDP}, {name: dns-tcp, port: 5353, protocol: TCP}]
endpoints:
- {addresses: [10.0.2.1]}
- {addresses: [10.0.2.9], conditions: {ready: false, serving: true, terminating: true}}
)";

// "---" and an IngressRouteTCP `name` in namespace shop with `spec` (YAML
// lines indented by two spaces).
std::string ShopTcpRoute(std::string_view name, std::string_view spec);

// "---" and an IngressRouteUDP `name` in namespace shop with `spec`.
std::string ShopUdpRoute(std::string_view name, std::string_view spec);

// "---" and an IngressRoute shop/site whose spec.routes are `routes` (YAML
// list items indented by two spaces).
std::string ShopSiteRoutes(std::string_view routes);

// A message as one line of protobuf text, without a trailing space.
std::string ProtoLine(const google::protobuf::Message& message);

// Every document of `yaml` as a SourceObject with origin "test.yaml#N".
// Fails the test when the YAML does not parse.
std::vector<SourceObject> ObjectsFromYaml(std::string_view yaml);

// Decodes `yaml`; fails the test if any object is refused.
ClusterState StateFromYaml(std::string_view yaml);

// The decode issues of `yaml`, one "origin: message" line each.
std::vector<std::string> DecodeIssues(std::string_view yaml);

// One line per route, cluster, service, middleware and diagnostic:
//   route <name> <host or *> <Exact|Prefix> <path> -> <cluster or 503> (<source>)
//   route <name> priority <p> hosts <hosts or *>[ tls][ on <entrypoints>]
//         -> <service, cluster or 503>[ via <middlewares>][ timeouts c/rh/t] (<source>)
//   cluster <name> <address:port>[~] ...      (~: terminating)
//   service <name> -> <cluster>               (load-balanced, default settings)
//   service <name> weighted <child>*<weight>,...   service <name> mirror <main> <m>@<percent>,...
//   middleware <name> <type>
//   default-certificate <namespace>/<secret>   (TLSStore default)
//   tls-option <name> versions <min>-<max> suites .. curves .. alpn .. [sniStrict]
//       clientAuth <type> cas <secrets> [noTickets]   (enums as numbers)
//   tcp-route <name> priority <p> hosts <hosts or *>[ tls[ passthrough][ options <o>]]
//         [ on <entrypoints>] -> <backends or closed>[ via <middlewares>] (<source>)
//   udp-route <name>[ on <entrypoints>] -> <backends or closed> (<source>)
//       backends: <cluster>*<weight>[ tls][ transport <name>], ...
//   tcp-middleware <name> inFlightConn <n> | ipAllowList <ranges>
//   tcp-transport <name> dial <ms> keepalive <ms or off> delay <ms> proxy <v>[ tls ...]
//       (tls: sni <name or ->[ insecure] cas <sources> certs <names>)
//   diagnostic <object> <reason>: <message>
// Services' other settings are checked on the translated snapshot.
std::string Describe(const CompileResult& result);

}  // namespace portico::controlplane::testing
