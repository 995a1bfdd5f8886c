// What every decoded Portico CRD object carries besides its spec: the API
// group it came from (portico.dev or Traefik's traefik.io, read under
// --traefik-compat), metadata.generation (reported back as observedGeneration
// in status) and the warnings its decoding produced. Plain values.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "controlplane/model/json_field.h"

namespace portico::controlplane::crd {

enum class CrdGroup { kPortico, kTraefik };

inline constexpr std::string_view kPorticoApiVersion = "portico.dev/v1alpha1";
inline constexpr std::string_view kTraefikApiVersion = "traefik.io/v1alpha1";

struct CrdInfo {
  CrdGroup group = CrdGroup::kPortico;
  int64_t generation = 0;             // 0 when the manifest has none (files)
  std::vector<std::string> warnings;  // "spec.headers.sslRedirect: deprecated, ignored"
};

// Reads apiVersion and metadata.generation of `object` into *out.
std::string DecodeCrdInfo(const JsonField& object, CrdInfo* out);

}  // namespace portico::controlplane::crd
