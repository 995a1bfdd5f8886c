// IngressProcessor: compiles networking.k8s.io/v1 Ingresses into route
// candidates (one per rule path, one for the default backend). Pure; runs
// inside Compile on the caller's thread.
#pragma once

#include "controlplane/compiler/compile_context.h"
#include "controlplane/model/cluster_state.h"

namespace portico::controlplane {

// ImplementationSpecific paths are matched as Prefix. A backend that does
// not resolve still yields its route, with an empty cluster (503), plus a
// diagnostic.
void RunIngressProcessor(const ClusterState& state, CompileContext* context);

// The same for one Ingress of `state` (the incremental compile).
void RunIngressProcessorFor(const ClusterState& state, const Ingress& ingress,
                            CompileContext* context);

}  // namespace portico::controlplane
