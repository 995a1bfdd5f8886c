// TlsProcessor: Ingress spec.tls into serving certificates and TLS-only
// routes. Each referenced kubernetes.io/tls Secret is checked (tls.crt and
// tls.key present and parsable, the key matches, inside the validity
// period); a bad one is left out with a diagnostic on every Ingress that
// refers to it, naming the Secret, and its hosts get the default
// certificate. A route whose host is listed in its Ingress's spec.tls
// (exactly, or under a "*." entry one label up) serves TLS requests only.
// TLS routes carry the TLSOption their object names (IngressRoute
// spec.tls.options, the Ingress annotation portico.dev/tls-options; see
// tls_option_resolver.h); one naming an unusable option answers 503.
// IngressRouteTCP `tls` sections likewise: their Secret's certificate joins
// the others, their option goes to the object's terminating TCP routes
// (closing connections when unusable). Runs after the TCP route processor.
// Runs inside Compile after IngressProcessor, on the caller's thread.
#pragma once

#include <cstdint>

#include "controlplane/compiler/compile_context.h"
#include "controlplane/model/cluster_state.h"

namespace portico::controlplane {

void RunTlsProcessor(const ClusterState& state, CompileContext* context);

// The same, checking validity periods at `now_unix` (for tests).
void CompileTls(const ClusterState& state, int64_t now_unix, CompileContext* context);

}  // namespace portico::controlplane
