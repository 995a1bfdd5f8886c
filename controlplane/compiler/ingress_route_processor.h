// IngressRouteProcessor: turns IngressRoutes (portico.dev and traefik.io,
// controlplane/crd) into routes with compiled rules (controlplane/rules).
// Runs after the IngressProcessor; see compiler.h for the order.
#pragma once

#include "controlplane/compiler/compile_context.h"
#include "controlplane/model/cluster_state.h"

namespace portico::controlplane {

void RunIngressRouteProcessor(const ClusterState& state, CompileContext* context);

}  // namespace portico::controlplane
