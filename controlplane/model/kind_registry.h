// The table of Kubernetes kinds the controller understands: apiVersion+kind
// → the decoder that adds such an object to a ClusterState. Adding a kind is
// its model files plus one line in kind_registry.cc. Immutable; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "controlplane/model/json_field.h"
#include "controlplane/model/object_meta.h"

namespace portico::controlplane {

struct ClusterState;

// Decodes `object` (metadata already in `meta`) and inserts it into *state.
// Returns "" or the error; *first_origin is set instead when an object with
// the same key is already there.
using KindDecoder = std::string (*)(const JsonField& object, ObjectMeta meta, ClusterState* state,
                                    std::string* first_origin);

// Where decoded objects of a kind live in a ClusterState, for moving a
// decoded object from one state to another instead of decoding it again.
struct KindStore {
  bool (*contains)(const ClusterState& state, const ObjectKey& key);
  // Moves the object with `key` from *from to *to (the node, not a copy);
  // false when *from lacks it or *to has one already (then nothing moved).
  bool (*move)(const ObjectKey& key, ClusterState* from, ClusterState* to);
  // Removes the object with `key` from *state; false when it has none.
  bool (*erase)(const ObjectKey& key, ClusterState* state);
};

struct KindEntry {
  std::string_view api_version;
  std::string_view kind;
  KindDecoder decode;
  KindStore store;
  // Cluster-scoped kinds (IngressClass) ignore a manifest's namespace, as
  // the API server does: their keys have an empty namespace.
  bool cluster_scoped = false;
};

// The entry for apiVersion+kind, or nullptr when the kind is not handled.
const KindEntry* FindKind(std::string_view api_version, std::string_view kind);

}  // namespace portico::controlplane
