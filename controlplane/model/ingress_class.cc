#include "controlplane/model/ingress_class.h"

#include <vector>

namespace portico::controlplane {
namespace {

constexpr std::string_view kDefaultAnnotation = "ingressclass.kubernetes.io/is-default-class";
constexpr std::string_view kClassAnnotation = "kubernetes.io/ingress.class";
constexpr size_t kMaxControllerBytes = 250;

JsonField Annotation(const JsonField& object, std::string_view name, std::string* error) {
  JsonField annotations = object.Member("metadata").Member("annotations");
  *error = annotations.ExpectObject();
  return annotations.Member(name);
}

std::string Mismatch(std::string_view name, std::string_view our_class) {
  return "class " + std::string(name) + ", not " + std::string(our_class);
}

// The rule for an Ingress naming an IngressClass object (also used for the
// default class a classless Ingress falls to).
std::string ClassObjectMismatch(const std::string& name,
                                const std::map<ObjectKey, IngressClass>& classes,
                                std::string_view our_class) {
  auto found = classes.find({"", name});
  if (found == classes.end()) return "IngressClass " + name + " does not exist";
  if (found->second.controller != kPorticoController) {
    return "IngressClass " + name + " is for controller " + found->second.controller;
  }
  if (name != our_class) return Mismatch(name, our_class);
  return "";
}

}  // namespace

std::string DecodeIngressClass(const JsonField& object, IngressClass* out) {
  JsonField spec = object.Member("spec");
  if (!spec.present()) return spec.Error("required");
  if (std::string e = spec.ExpectObject(); !e.empty()) return e;
  JsonField controller = spec.Member("controller");
  if (std::string e = controller.GetRequiredString(&out->controller); !e.empty()) return e;
  if (out->controller.size() > kMaxControllerBytes) {
    return controller.Error("must be at most 250 bytes, got " +
                            std::to_string(out->controller.size()));
  }
  std::string error;
  JsonField is_default = Annotation(object, kDefaultAnnotation, &error);
  if (!error.empty()) return error;
  std::string value;
  if (std::string e = is_default.GetString(&value); !e.empty()) return e;
  out->is_default = value == "true";
  return "";
}

std::string DecodeIngressClassRef(const JsonField& object, IngressClassRef* out) {
  std::string error;
  JsonField annotation = Annotation(object, kClassAnnotation, &error);
  if (!error.empty()) return error;
  if (std::string e = annotation.GetString(&out->annotation); !e.empty()) return e;
  // A spec that is not an object is the Ingress decoder's to report.
  return object.Member("spec").Member("ingressClassName").GetString(&out->class_name);
}

std::string IngressClassMismatch(const IngressClassRef& ref,
                                 const std::map<ObjectKey, IngressClass>& classes,
                                 std::string_view our_class) {
  // The API reference: when the annotation is set it takes precedence over
  // the field. It names a class directly; no IngressClass object is needed.
  if (!ref.annotation.empty()) {
    return ref.annotation == our_class ? "" : Mismatch(ref.annotation, our_class);
  }
  if (!ref.class_name.empty()) return ClassObjectMismatch(ref.class_name, classes, our_class);
  std::vector<std::string> defaults;
  for (const auto& [key, ingress_class] : classes) {
    if (!ingress_class.is_default) continue;
    if (ClassObjectMismatch(key.name, classes, our_class).empty()) return "";
    defaults.push_back(key.name);
  }
  // No default class at all: a classless Ingress is ours (as Traefik's and
  // Contour's defaults), which keeps manifests without classes working.
  if (defaults.empty()) return "";
  return "no class, and the default class is " + defaults.front() + ", not " +
         std::string(our_class);
}

std::string IngressRouteClassMismatch(std::string_view class_name, std::string_view our_class) {
  if (class_name.empty() || class_name == our_class) return "";
  return Mismatch(class_name, our_class);
}

}  // namespace portico::controlplane
