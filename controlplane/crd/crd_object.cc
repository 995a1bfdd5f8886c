#include "controlplane/crd/crd_object.h"

namespace portico::controlplane::crd {

std::string DecodeCrdInfo(const JsonField& object, CrdInfo* out) {
  std::string api_version;
  JsonField version = object.Member("apiVersion");
  if (std::string e = version.GetRequiredString(&api_version); !e.empty()) return e;
  if (api_version == kPorticoApiVersion) {
    out->group = CrdGroup::kPortico;
  } else if (api_version == kTraefikApiVersion) {
    out->group = CrdGroup::kTraefik;
  } else {
    return version.Error("must be " + std::string(kPorticoApiVersion) + " or " +
                         std::string(kTraefikApiVersion) + ", got " + Quoted(api_version));
  }
  JsonField generation = object.Member("metadata").Member("generation");
  if (std::string e = generation.GetInt(&out->generation); !e.empty()) return e;
  if (out->generation < 0) return generation.Error("must not be negative");
  return "";
}

}  // namespace portico::controlplane::crd
