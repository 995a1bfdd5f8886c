// What a CRD decoder reads, as a list of field paths with their JSON types,
// enums, bounds and required flags: produced by running a decoder in
// describing mode (see CrdReader) and compared against crds/*.yaml by the
// tests, so the code and the CustomResourceDefinitions cannot drift apart.
// Plain values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace portico::controlplane::crd {

enum class SchemaType {
  kString,
  kInteger,
  kBoolean,
  kObject,
  kArray,
  kIntOrString,  // x-kubernetes-int-or-string
  kStringMap,    // object with additionalProperties of type string
  kIntegerMap,   // object with additionalProperties of type integer
  kFreeForm,     // x-kubernetes-preserve-unknown-fields
};

std::string_view SchemaTypeName(SchemaType type);

struct SchemaField {
  // "spec.routes[].services[].port": "[]" stands for the items of a list.
  std::string path;
  SchemaType type = SchemaType::kString;
  bool required = false;
  std::vector<std::string> enum_values;  // empty: any value
  bool enum_any_case = false;            // enum matched case-insensitively (a pattern in YAML)
  std::optional<int64_t> minimum;
  std::optional<int64_t> maximum;
};

// Members of the object at `path` of which exactly one (or at most one) may
// be set.
struct SchemaChoice {
  std::string path;
  bool exactly_one = true;
  std::vector<std::string> members;
};

struct SchemaCatalog {
  std::vector<SchemaField> fields;
  std::vector<SchemaChoice> choices;
};

}  // namespace portico::controlplane::crd
