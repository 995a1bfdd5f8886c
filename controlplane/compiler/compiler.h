// The compiler: a pure function from ClusterState to Portico's routing model.
// No I/O; equal input gives equal output. Thread-safe (no state). One clock
// read: TlsProcessor leaves out certificates outside their validity period.
//
// Processors run in this order over the one state: IngressProcessor,
// TlsProcessor (certificates, TLS-only routes). Then
// conflicts are settled, unused clusters pruned and everything sorted.
//
// Route order, which proxies rely on (first match wins):
//   1. host: exact hosts (lexical), then wildcard hosts "*.x" (lexical), then
//      routes for any host ("");
//   2. within a host: longer path first; at equal length Exact before Prefix;
//   3. then by route name.
// Of two routes with the same host, path kind and path, the one from an
// explicit rule beats a default backend, then the lexically first
// "<namespace>/<name>" wins; the other is dropped with a Conflict diagnostic.
// Clusters are sorted by name; diagnostics by object, then message.
#pragma once

#include "controlplane/compiler/compile_result.h"
#include "controlplane/model/cluster_state.h"

namespace portico::controlplane {

CompileResult Compile(const ClusterState& state);

}  // namespace portico::controlplane
