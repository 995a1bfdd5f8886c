// Traefik's provider-qualified names for CRD objects:
// "<namespace>-<name>@kubernetescrd". Both parts may hold '-', so one such
// name can read several ways ("team-a-auth": team/a-auth or team-a/auth).
#pragma once

#include <map>
#include <string>
#include <string_view>

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
    auto it = objects.find(ObjectKey{std::string(qualified.substr(0, dash)),
                                     std::string(qualified.substr(dash + 1))});
    if (it == objects.end()) continue;
    if (it->first.namespace_name == preferred_namespace) return &it->first;
    if (first == nullptr) first = &it->first;
  }
  return first;
}

}  // namespace portico::controlplane
