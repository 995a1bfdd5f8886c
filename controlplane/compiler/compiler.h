// The compiler: a pure function from ClusterState to Portico's routing model.
// No I/O; equal input gives equal output. Thread-safe (no state). One clock
// read: TlsProcessor leaves out certificates outside their validity period.
//
// Processors run in this order over the one state: IngressProcessor,
// IngressRouteProcessor, IngressRouteTcpProcessor, IngressRouteUdpProcessor
// (l4_route_processor.h), TlsProcessor (certificates, TLS-only routes, TLS
// options of HTTP and TCP routes). Then conflicts are settled, unused
// clusters, services, middlewares and transports pruned and everything
// sorted.
//
// Route order, which proxies rely on (first match wins; docs/rules.md):
//   1. priority, highest first. IngressRoute routes: the explicit priority,
//      else the rule's length (Traefik's len(rule)). Ingress routes: the
//      length of the rule Traefik would write for them,
//      Host(`h`) && PathPrefix(`p`) (PathPrefix for Exact paths too, so
//      that Exact wins the tie below), or PathPrefix(`p`) without a host;
//      a default backend gets 0, below every rule;
//   2. at equal priority: exact host, then wildcard host, then any host;
//      Exact before Prefix;
//   3. then the lexically first object (Ingress/... before IngressRoute/...,
//      then namespace/name), then its rule and path index.
// TCP routes (IngressRouteTCP) sort by the same order, ignoring the host
// and path steps: priority (explicit, else the rule's length, -1 for a lone
// HostSNI(`*`)), then object and route index; none is dropped. UDP routes
// are in object name order (l4_route_processor.h).
// Of two routes with the same host, path kind and path (Ingress), or the
// same compiled rule (IngressRoute), an explicit rule beats a default
// backend, then the lexically first object wins; the other is dropped with
// a Conflict diagnostic. Clusters are sorted by name; diagnostics by
// object, then message.
#pragma once

#include "controlplane/compiler/compile_options.h"
#include "controlplane/compiler/compile_result.h"
#include "controlplane/model/cluster_state.h"

namespace portico::controlplane {

struct CompileIndex;

// With `index`, also records what RecompileIngresses needs to patch the
// result later (incremental_compile.h).
CompileResult Compile(const ClusterState& state, const CompileOptions& options = {},
                      CompileIndex* index = nullptr);

}  // namespace portico::controlplane
