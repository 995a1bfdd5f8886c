// The identity every Kubernetes object shares (namespace, name, labels) and
// the key the cluster state sorts objects by. Plain values.
#pragma once

#include <compare>
#include <map>
#include <string>

#include "controlplane/model/json_field.h"

namespace portico::controlplane {

struct ObjectKey {
  std::string namespace_name;
  std::string name;
  auto operator<=>(const ObjectKey&) const = default;
  std::string str() const { return namespace_name + "/" + name; }
};

struct ObjectMeta {
  std::string namespace_name = "default";
  std::string name;
  std::map<std::string, std::string> labels;
  std::string origin;  // where the source found it ("app.yaml#0")
  ObjectKey key() const { return {namespace_name, name}; }
};

// Decodes `metadata`: name required (DNS subdomain), namespace defaults to
// "default" (DNS label), labels must map strings to strings.
std::string DecodeObjectMeta(const JsonField& metadata, ObjectMeta* out);

}  // namespace portico::controlplane
