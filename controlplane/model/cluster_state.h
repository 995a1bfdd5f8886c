// ClusterState: every object the controller currently knows, typed and
// sorted by namespace/name, as the compiler's single input. Built from a
// source's objects in one go and then only read (share it as const).
#pragma once

#include <map>
#include <vector>

#include "controlplane/crd/crd_objects.h"
#include "controlplane/model/endpoint_slice.h"
#include "controlplane/model/ingress.h"
#include "controlplane/model/ingress_class.h"
#include "controlplane/model/object_meta.h"
#include "controlplane/model/secret.h"
#include "controlplane/model/service.h"
#include "controlplane/source/source_object.h"

namespace portico::controlplane {

struct ClusterState {
  std::map<ObjectKey, Service> services;
  std::map<ObjectKey, EndpointSlice> endpoint_slices;
  std::map<ObjectKey, Ingress> ingresses;
  std::map<ObjectKey, IngressClass> ingress_classes;  // cluster-scoped: keys {"", name}
  std::map<ObjectKey, Secret> secrets;  // values are secret: never log them
  crd::CrdObjects crds;  // IngressRoute, Middleware, ... (portico.dev and traefik.io)
};

struct ClusterStateBuild {
  ClusterState state;
  std::vector<SourceIssue> issues;  // objects refused, with their origin
};

// Decodes every object of a known kind (see kind_registry.cc). An object
// that fails to decode is left out and reported; of two objects with the
// same kind, namespace and name the first in `objects` order is kept.
// Objects of unknown kinds are ignored (logged at debug). The items of a
// v1 List (what `kubectl get -o yaml` writes) are decoded as objects.
ClusterStateBuild BuildClusterState(const std::vector<SourceObject>& objects);

struct KindEntry;

// One object that decoding a source object put into a state (a v1 List
// gives several): its kind's registry entry and its key.
struct DecodedItem {
  const KindEntry* kind;
  ObjectKey key;
};

// Decodes one object into *build, as BuildClusterState does for each. With
// `added`, appends what it inserted (nothing for an object refused, ignored
// or a duplicate).
void AddSourceObject(const SourceObject& object, ClusterStateBuild* build,
                     std::vector<DecodedItem>* added = nullptr);

// Moves the decoded objects `items` names from *from into *to: what
// decoding their source object again would insert, when that object's JSON
// is unchanged and its earlier decode raised no issue (the decoders read
// nothing but the object). False, and nothing moved, when *to already
// holds one of the keys (the object would now be a duplicate) or *from
// lacks one: decode the object instead.
bool MoveDecoded(const std::vector<DecodedItem>& items, ClusterState* from, ClusterState* to);

}  // namespace portico::controlplane
