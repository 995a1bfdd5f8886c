// L4RouteProcessor: IngressRouteTCP and IngressRouteUDP (portico.dev and
// traefik.io, controlplane/crd) into TCP and UDP routes (compile_result.h,
// l4.proto), with the MiddlewareTCPs and ServersTransportTCPs their routes
// name. Runs after the IngressRouteProcessor and before the TlsProcessor,
// which adds the certificates and TLS options of IngressRouteTCP `tls`
// sections; see compiler.h for the order and docs/ingress-route.md for the
// rules.
#pragma once

#include "controlplane/compiler/compile_context.h"
#include "controlplane/model/cluster_state.h"

namespace portico::controlplane {

void RunIngressRouteTcpProcessor(const ClusterState& state, CompileContext* context);

// One UDP route per IngressRouteUDP, in source-name order; an entrypoint
// belongs to the first route that names it (or, for a route without
// entryPoints, every entrypoint not named before).
void RunIngressRouteUdpProcessor(const ClusterState& state, CompileContext* context);

}  // namespace portico::controlplane
