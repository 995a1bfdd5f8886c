// CompileOptions: what the controller's flags change in a compile. The same
// flags reach `portico-controller validate`, so a pipeline checks exactly
// what the controller will run.
#pragma once

#include <string>

namespace portico::controlplane {

struct CompileOptions {
  // --allow-cross-namespace: an IngressRoute may name a Service of another
  // namespace. Off by default: a namespace's owner cannot borrow another's.
  bool allow_cross_namespace = false;
  // --ingress-class: the class whose Ingresses and IngressRoutes are
  // compiled; the others are left out (rule in model/ingress_class.h).
  std::string ingress_class = "portico";
};

}  // namespace portico::controlplane
