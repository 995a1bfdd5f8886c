// Translates the compiler's routing model into the wire Snapshot (proto/)
// and stamps its content version.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/snapshot/shared_snapshot.h"
#include "controlplane/compiler/compile_result.h"
#include "portico/v1/snapshot.pb.h"

namespace portico::controlplane {

// Routes and clusters in the order given (Compile's order), `version` set to
// the content digest (common/snapshot/shared_snapshot.h). A fresh
// SnapshotTranslator's result as one message: tests and tools. Pure; safe
// from any thread.
v1::Snapshot TranslateSnapshot(const CompileResult& result);

// The same into a SharedSnapshot, keeping each route and cluster it made
// with the model it came from: the next translation shares every part
// whose model is unchanged instead of translating and hashing it again, so
// a change of one route among 10 000 costs one route (and a comparison of
// each model with the one before, in order). Its version equals
// TranslateSnapshot's. One per pipeline; not thread-safe.
class SnapshotTranslator {
 public:
  SharedSnapshot Translate(const CompileResult& result);
  // When only endpoints changed: `result.routes` are those of `previous`,
  // this translator's last result, whose route parts are taken as they are
  // (no comparison per route); clusters and the rest are translated.
  SharedSnapshot TranslateEndpoints(const CompileResult& result, const SharedSnapshot& previous);

 private:
  // A model with the part made from it.
  template <typename Model, typename Part>
  struct Made {
    Model from;
    std::shared_ptr<const Part> part;
  };

  // Parts for a list of models, by name, remembering the last list in its
  // order: a walk that compares each model with the one at the same place
  // in the last list, looking names up in a hash table only where the
  // lists stop lining up (an insertion, a removal, a move).
  template <typename Model, typename Part>
  class PartCache {
   public:
    template <typename TranslateFn>
    std::vector<std::shared_ptr<const Part>> Parts(const std::vector<Model>& models,
                                                   TranslateFn translate);
    size_t size() const { return made_.size(); }

   private:
    std::vector<std::unique_ptr<Made<Model, Part>>> made_;  // the last list's, in its order
  };

  PartCache<Route, RoutePart> routes_;
  PartCache<Cluster, ClusterPart> clusters_;
};

}  // namespace portico::controlplane
