// Whether the compile with the given options serves an Ingress or an
// IngressRoute: the class rule of model/ingress_class.h bound to
// --ingress-class. Objects of another class are left out without a
// diagnostic (they are another controller's). Pure.
#pragma once

#include "controlplane/compiler/compile_options.h"
#include "controlplane/model/cluster_state.h"

namespace portico::controlplane {

inline bool ClassSelects(const ClusterState& state, const Ingress& ingress,
                         const CompileOptions& options) {
  return IngressClassMismatch(ingress.class_ref, state.ingress_classes, options.ingress_class)
      .empty();
}

// IngressRoute, IngressRouteTCP, IngressRouteUDP: spec.ingressClassName.
template <typename RouteObject>
bool ClassSelects(const RouteObject& route, const CompileOptions& options) {
  return IngressRouteClassMismatch(route.spec.ingress_class_name, options.ingress_class).empty();
}

}  // namespace portico::controlplane
