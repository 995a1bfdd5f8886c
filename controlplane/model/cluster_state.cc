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

void AddObject(const std::string& origin, const rapidjson::Value& json, bool in_list,
               ClusterStateBuild* build, std::vector<DecodedItem>* added);

// `kubectl get ... -o yaml` wraps objects in a v1 List; its items count as
// objects of their own, with origins like "state.yaml#0/items[3]".
void AddListItems(const std::string& origin, const JsonField& list, ClusterStateBuild* build,
                  std::vector<DecodedItem>* added) {
  JsonField items = list.Member("items");
  if (std::string e = items.ExpectList(); !e.empty()) {
    build->issues.push_back({origin, "List: " + e});
    return;
  }
  for (size_t i = 0; i < items.size(); ++i) {
    const JsonField item = items.Index(i);
    AddObject(origin + "/" + item.path(), item.value(), true, build, added);
  }
}

// Adds one object to *build; problems become issues against its origin.
void AddObject(const std::string& origin, const rapidjson::Value& json, bool in_list,
               ClusterStateBuild* build, std::vector<DecodedItem>* added) {
  JsonField object(&json, "");
  TypeMeta type;
  if (std::string e = DecodeTypeMeta(object, &type); !e.empty()) {
    build->issues.push_back({origin, e});
    return;
  }
  if (type.api_version == "v1" && type.kind == "List") {
    if (in_list) {
      build->issues.push_back({origin, "a List inside a List is not supported"});
    } else {
      AddListItems(origin, object, build, added);
    }
    return;
  }
  const KindEntry* entry = FindKind(type.api_version, type.kind);
  if (entry == nullptr) {
    LogDebug("controller", origin + ": ignoring " + type.api_version + " " + type.kind);
    return;
  }
  ObjectMeta meta{.origin = origin};
  if (std::string e = DecodeObjectMeta(object.Member("metadata"), &meta); !e.empty()) {
    build->issues.push_back({origin, type.kind + ": " + e});
    return;
  }
  std::string what = type.kind + " " + meta.key().str();
  if (entry->cluster_scoped) meta.namespace_name.clear();
  ObjectKey key = meta.key();
  std::string first_origin;
  std::string error = entry->decode(object, std::move(meta), &build->state, &first_origin);
  if (!error.empty()) {
    build->issues.push_back({origin, what + ": " + error});
  } else if (!first_origin.empty()) {
    build->issues.push_back(
        {origin, what + ": duplicate of the one in " + first_origin + ", ignored"});
  } else if (added != nullptr) {
    added->push_back({entry, std::move(key)});
  }
}

}  // namespace

void AddSourceObject(const SourceObject& object, ClusterStateBuild* build,
                     std::vector<DecodedItem>* added) {
  AddObject(object.origin, object.json, false, build, added);
}

bool MoveDecoded(const std::vector<DecodedItem>& items, ClusterState* from, ClusterState* to) {
  for (const DecodedItem& item : items) {
    if (item.kind->store.contains(*to, item.key) || !item.kind->store.contains(*from, item.key)) {
      return false;
    }
  }
  for (const DecodedItem& item : items) {
    // Cannot fail after the checks, unless `items` names one key twice
    // (it never does: the second decode would have been a duplicate).
    item.kind->store.move(item.key, from, to);
  }
  return true;
}

ClusterStateBuild BuildClusterState(const std::vector<SourceObject>& objects) {
  ClusterStateBuild build;
  for (const SourceObject& object : objects) AddSourceObject(object, &build);
  return build;
}

}  // namespace portico::controlplane
