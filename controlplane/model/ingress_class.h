// A decoded networking.k8s.io/v1 IngressClass, the class an Ingress asks
// for, and the rule that decides whether an Ingress is Portico's
// (docs/controller.md, "Ingress classes"). Plain values and pure functions.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "controlplane/model/json_field.h"
#include "controlplane/model/object_meta.h"

namespace portico::controlplane {

// The spec.controller value of IngressClasses that Portico serves.
inline constexpr std::string_view kPorticoController = "portico.dev/ingress-controller";

// IngressClass is cluster-scoped: its key has an empty namespace.
struct IngressClass {
  ObjectMeta meta;
  std::string controller;   // spec.controller
  bool is_default = false;  // annotation ingressclass.kubernetes.io/is-default-class: "true"
};

// What an Ingress says about its class.
struct IngressClassRef {
  std::string class_name;  // spec.ingressClassName; "" when unset
  std::string annotation;  // metadata.annotations["kubernetes.io/ingress.class"]; "" when unset
};

// Decodes spec.controller (required, at most 250 bytes) and the default
// annotation. Returns "" or a precise error naming the field.
std::string DecodeIngressClass(const JsonField& object, IngressClass* out);

// Reads spec.ingressClassName and the legacy annotation of an Ingress.
std::string DecodeIngressClassRef(const JsonField& object, IngressClassRef* out);

// "" when an Ingress with `ref` belongs to the class `our_class`, else why
// not, as a phrase for messages ("class nginx, not portico"). `classes` are
// the IngressClasses keyed by {"", name}.
std::string IngressClassMismatch(const IngressClassRef& ref,
                                 const std::map<ObjectKey, IngressClass>& classes,
                                 std::string_view our_class);

// The same for an IngressRoute's spec.ingressClassName (Traefik's rule:
// empty means every controller's).
std::string IngressRouteClassMismatch(std::string_view class_name, std::string_view our_class);

}  // namespace portico::controlplane
