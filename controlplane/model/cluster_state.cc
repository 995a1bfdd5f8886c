#include "controlplane/model/cluster_state.h"

#include "common/log.h"
#include "controlplane/model/kind_registry.h"

namespace portico::controlplane {
namespace {

struct TypeMeta {
  std::string api_version;
  std::string kind;
};

std::string DecodeTypeMeta(const JsonField& object, TypeMeta* out) {
  if (!object.value().IsObject()) {
    return "a manifest must be an object, got " + std::string(JsonTypeName(object.value()));
  }
  if (std::string e = object.Member("apiVersion").GetRequiredString(&out->api_version);
      !e.empty()) {
    return e;
  }
  return object.Member("kind").GetRequiredString(&out->kind);
}

// Adds one object to *build; problems become issues against its origin.
void AddObject(const SourceObject& source, ClusterStateBuild* build) {
  JsonField object(&source.json, "");
  TypeMeta type;
  if (std::string e = DecodeTypeMeta(object, &type); !e.empty()) {
    build->issues.push_back({source.origin, e});
    return;
  }
  const KindEntry* entry = FindKind(type.api_version, type.kind);
  if (entry == nullptr) {
    LogDebug("controller", source.origin + ": ignoring " + type.api_version + " " + type.kind);
    return;
  }
  ObjectMeta meta{.origin = source.origin};
  if (std::string e = DecodeObjectMeta(object.Member("metadata"), &meta); !e.empty()) {
    build->issues.push_back({source.origin, type.kind + ": " + e});
    return;
  }
  std::string what = type.kind + " " + meta.key().str();
  std::string first_origin;
  std::string error = entry->decode(object, std::move(meta), &build->state, &first_origin);
  if (!error.empty()) {
    build->issues.push_back({source.origin, what + ": " + error});
  } else if (!first_origin.empty()) {
    build->issues.push_back(
        {source.origin, what + ": duplicate of the one in " + first_origin + ", ignored"});
  }
}

}  // namespace

ClusterStateBuild BuildClusterState(const std::vector<SourceObject>& objects) {
  ClusterStateBuild build;
  for (const SourceObject& object : objects) AddObject(object, &build);
  return build;
}

}  // namespace portico::controlplane
