// Traefik's provider-qualified names for CRD objects:
// "<namespace>-<name>@kubernetescrd". Both parts may hold '-', so one such
// name can read several ways ("team-a-auth": team/a-auth or team-a/auth).
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "controlplane/crd/service_ref.h"
#include "controlplane/model/object_meta.h"

namespace portico::controlplane {

inline constexpr std::string_view kCrdProvider = "kubernetescrd";

// The key of the object of `objects` that `qualified` ("<namespace>-<name>",
// without "@provider") names. Of several readings, the one in
// `preferred_namespace` (the referring object's), else the one with the
// shortest namespace; null when none exists.
template <typename T>
const ObjectKey* FindByQualifiedName(const std::map<ObjectKey, T>& objects,
                                     std::string_view qualified,
                                     std::string_view preferred_namespace) {
  const ObjectKey* first = nullptr;
  for (size_t dash = qualified.find('-'); dash != std::string_view::npos;
       dash = qualified.find('-', dash + 1)) {
    auto it = objects.find(
        ObjectKey{std::string(qualified.substr(0, dash)), std::string(qualified.substr(dash + 1))});
    if (it == objects.end()) continue;
    if (it->first.namespace_name == preferred_namespace) return &it->first;
    if (first == nullptr) first = &it->first;
  }
  return first;
}

// The refusal of a reference to `what` in another namespace.
inline std::string CrossNamespaceRefusal(const std::string& what) {
  return what +
         " is in another namespace, refused (cross-namespace references are off, "
         "--allow-cross-namespace)";
}

// A reference by a service in `service_namespace` to an object of
// `objects` (a ServersTransport or ServersTransportTCP): its name in that
// namespace, or "<namespace>-<name>@kubernetescrd". Null when it does not
// exist.
template <typename T>
const ObjectKey* FindServiceReference(const std::map<ObjectKey, T>& objects,
                                      std::string_view reference,
                                      const std::string& service_namespace) {
  if (size_t at = reference.find('@'); at != std::string_view::npos) {
    if (reference.substr(at + 1) != kCrdProvider) return nullptr;
    return FindByQualifiedName(objects, reference.substr(0, at), service_namespace);
  }
  auto it = objects.find(ObjectKey{service_namespace, std::string(reference)});
  return it == objects.end() ? nullptr : &it->first;
}

// A route's reference to a middleware of `objects` (Middleware or
// MiddlewareTCP): "name" (with `namespace`, else the route's), or Traefik's
// "<namespace>-<name>@kubernetescrd". Sets *key, or *reason and *error
// (naming it `what`, "middleware") and returns false.
template <typename T>
bool ResolveMiddlewareReference(const std::map<ObjectKey, T>& objects, const std::string& what,
                                const std::string& route_namespace, bool allow_cross_namespace,
                                const crd::ObjectRef& ref, ObjectKey* key, std::string* reason,
                                std::string* error) {
  std::string name = ref.name;
  std::string namespace_name = ref.namespace_name.empty() ? route_namespace : ref.namespace_name;
  *reason = "MiddlewareNotFound";
  if (size_t at = name.find('@'); at != std::string::npos) {
    if (std::string_view(name).substr(at + 1) != kCrdProvider) {
      *error = what + " " + name + ": only @kubernetescrd references resolve here";
      return false;
    }
    name.resize(at);
    if (ref.namespace_name.empty()) {
      if (const ObjectKey* found = FindByQualifiedName(objects, name, route_namespace)) {
        namespace_name = found->namespace_name;
        name = found->name;
      }
    }
  }
  *key = {namespace_name, name};
  if (namespace_name != route_namespace && !allow_cross_namespace) {
    *reason = "CrossNamespace";
    *error = CrossNamespaceRefusal(what + " " + key->str());
    return false;
  }
  if (!objects.contains(*key)) {
    *error = what + " " + key->str() + " does not exist";
    return false;
  }
  return true;
}

}  // namespace portico::controlplane
