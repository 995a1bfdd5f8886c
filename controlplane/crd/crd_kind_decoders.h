// The KindDecoder for each CRD kind, for controlplane/model/kind_registry.cc:
// `&DecodeCrdKind<&CrdObjects::middlewares>` decodes into
// ClusterState::crds. Included by the registry only (it needs ClusterState).
#pragma once

#include <string>

#include "controlplane/crd/crd_objects.h"
#include "controlplane/model/cluster_state.h"

namespace portico::controlplane::crd {

template <auto Objects>
std::string DecodeCrdKind(const JsonField& object, ObjectMeta meta, ClusterState* state,
                          std::string* first_origin) {
  return DecodeCrdInto<Objects>(object, std::move(meta), &state->crds, first_origin);
}

}  // namespace portico::controlplane::crd
