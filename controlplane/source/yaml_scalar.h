// Resolves a YAML scalar to a typed value the way go-yaml v2 (YAML 1.1, used
// by sigs.k8s.io/yaml and so by kubectl) does. Pure; safe from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace portico::controlplane {

struct YamlScalar {
  enum class Type { kNull, kBool, kInt, kUint, kFloat, kString, kInvalid };
  Type type = Type::kString;
  bool boolean = false;
  int64_t int_value = 0;
  uint64_t uint_value = 0;  // only for integers above INT64_MAX
  double float_value = 0;
  std::string error;  // kInvalid: why the value has no JSON form
};

// A plain (unquoted, untagged) scalar: null, bool, int, float or string.
YamlScalar ResolvePlainScalar(std::string_view text);

// A scalar with a tag: "!" (quoted or block scalars) and "!!str" give a
// string; "!!int", "!!float", "!!bool", "!!null" must hold such a value;
// other tags keep the text as a string, as go-yaml v2 does.
YamlScalar ResolveTaggedScalar(std::string_view tag, std::string_view text);

}  // namespace portico::controlplane
