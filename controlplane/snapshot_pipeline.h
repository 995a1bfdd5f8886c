// SnapshotPipeline: the controller's reaction to a new state of its source:
// decode → compile → translate → publish when the version changed, logging
// every object problem on the way. Lives on the controller's main loop and
// is used from that thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <string>

#include "common/deferred_release.h"
#include "common/snapshot/shared_snapshot.h"
#include "controlplane/compiler/compile_options.h"
#include "controlplane/compiler/compile_result.h"
#include "controlplane/model/object_meta.h"
#include "controlplane/source/source_object.h"
#include "controlplane/translate/snapshot_translator.h"

namespace portico::controlplane {

struct ClusterState;
struct ClusterStateBuild;
struct DecodedItem;

struct PipelineStats {
  uint64_t compiles_total = 0;
  uint64_t source_errors = 0;        // parse + decode issues of the last load
  uint64_t source_errors_total = 0;  // every issue reported (logged) so far
  uint64_t diagnostics = 0;          // compiler diagnostics of the last compile
  uint64_t endpoint_only_total = 0;  // compiles that took the endpoint-only path
  // Of the last Apply's objects: decoded, or moved over from the previous
  // decode (unchanged fingerprint, no issue then).
  uint64_t objects_decoded = 0;
  uint64_t objects_reused = 0;
  uint64_t objects_decoded_total = 0;  // summed over every Apply
  uint64_t objects_reused_total = 0;
  // Applies whose decode edited the last state in place (DecodeInPlace).
  uint64_t decoded_in_place_total = 0;
  // Applies whose compile patched the last one (only Ingresses changed:
  // RecompileIngresses).
  uint64_t ingress_patches_total = 0;
};

struct PipelineOptions {
  // --traefik-compat: objects of traefik.io/v1alpha1 are read like their
  // portico.dev twins; without it they are ignored (and counted).
  bool traefik_compat = false;
  CompileOptions compile;
};

// Drops traefik.io objects unless `options.traefik_compat`; returns how many
// were dropped. Shared with `portico-controller validate`.
size_t FilterCompatObjects(const PipelineOptions& options, std::vector<SourceObject>* objects);

class SnapshotPipeline {
 public:
  using Publisher = std::function<void(std::shared_ptr<const SharedSnapshot>)>;

  explicit SnapshotPipeline(Publisher publish, PipelineOptions options = {});
  ~SnapshotPipeline();

  // Compiles `load` and publishes the result unless its version is the one
  // published last. When the objects differ from the last load's only in
  // EndpointSlices (by origin and SourceObject::fingerprint), only those are
  // decoded again and only the clusters' endpoints rebuilt; the snapshot is
  // the one a full compile would give (docs/controller.md).
  void Apply(const SourceLoad& load);

  // The last published snapshot; null before the first Apply.
  std::shared_ptr<const SharedSnapshot> current() const { return current_; }
  const PipelineStats& stats() const { return stats_; }
  // What the last Apply found wrong, by object: the compiler's diagnostics
  // and the load's and decoder's issues (by origin). For status writers.
  const std::vector<Diagnostic>& diagnostics() const { return diagnostics_; }
  const std::vector<SourceIssue>& issues() const { return issues_; }
  // "Kind/NS/NAME" of every object some route of the last compile came from.
  const std::set<std::string>& routed() const { return routed_; }
  // "Kind/NS/NAME" of the IngressRoutes (HTTP, TCP, UDP) of another
  // ingress class: another controller's, so neither compiled nor reported.
  const std::set<std::string>& other_class() const { return other_class_; }

 private:
  struct LastCompile;

  void NoteOwnership(const ClusterState& state, const CompileResult& result);
  // The same after RecompileIngresses patched `ingresses` only (an
  // Ingress is never of another class's: other_class_ stands).
  void NoteIngressOwnership(const std::vector<ObjectKey>& ingresses, const CompileResult& result);
  // Decodes only the objects new or changed since the last decode and
  // edits its state (taken from last_) into the new one: the cost follows
  // the change, not the number of objects. False when a new object would
  // be a duplicate of another (which one wins depends on the load's
  // order): then DecodeReusing, which stays correct after a partial edit.
  // `changed`: what left the state and what joined it.
  bool DecodeInPlace(const std::vector<SourceObject>& objects, LastCompile* next,
                     ClusterStateBuild* build, std::vector<DecodedItem>* changed);
  // Decodes `objects`, moving over from last_->state what an object with
  // the same origin and fingerprint decoded to without an issue; fills
  // `next`'s per-object records. Leaves last_'s state partly emptied.
  ClusterStateBuild DecodeReusing(const std::vector<SourceObject>& objects, LastCompile* next);
  // The endpoint-only path; false when `objects` differ in more than
  // EndpointSlices (then nothing was changed).
  bool ApplyEndpointChange(const std::vector<SourceObject>& objects, const SourceLoad& load);
  // `endpoints_only`: `result` differs from the last published one in
  // endpoints alone, so its routes are not translated again.
  void Publish(const SourceLoad& load, const std::vector<SourceIssue>& build_issues,
               const CompileResult& result, bool endpoints_only = false);

  Publisher publish_;
  PipelineOptions options_;
  std::shared_ptr<const SharedSnapshot> current_;
  // Shares the routes and clusters that did not change with current_.
  SnapshotTranslator translator_;
  PipelineStats stats_;
  std::vector<Diagnostic> diagnostics_;
  std::vector<SourceIssue> issues_;
  std::set<std::string> routed_;
  std::set<std::string> other_class_;
  std::unique_ptr<LastCompile> last_;
  // Frees the previous compile while the next one runs (declared last:
  // destroyed first, so it drains before the members above go).
  DeferredRelease release_;
};

}  // namespace portico::controlplane
