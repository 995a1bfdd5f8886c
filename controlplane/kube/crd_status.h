// The status the leader writes on Portico's custom resources: from one
// compile (its diagnostics, and the issues of the load and the decoders) and
// the objects that were compiled, the `Ready` condition each CRD object should
// carry, and a JSON merge patch for every object whose stored status differs.
// Pure functions: no I/O, the time is passed in. See docs/kubernetes.md.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "controlplane/compiler/compile_result.h"
#include "controlplane/kube/resource_kind.h"
#include "controlplane/source/source_object.h"

namespace portico::controlplane {

// metav1.Condition of type Ready.
struct ReadyCondition {
  std::string status;  // "True" or "False"
  std::string reason;  // "Accepted", a diagnostic's reason, or "Invalid" (refused by the decoder)
  std::string message;
  int64_t observed_generation = 0;
  std::string last_transition_time;  // RFC 3339
};

struct CrdStatusUpdate {
  std::string path;    // "/apis/portico.dev/v1alpha1/namespaces/NS/ingressroutes/NAME/status"
  std::string object;  // "IngressRoute NS/NAME", for logs
  ReadyCondition ready;
  std::string patch;  // {"status":{"observedGeneration":G,"conditions":[...]}}
  // Ready's status, reason, message and generation: equal signatures are the
  // same write whatever lastTransitionTime says.
  std::string signature;
};

// What one compile found (SnapshotPipeline's accessors of the same names).
struct CompileFindings {
  const std::vector<Diagnostic>& diagnostics;  // object "Kind/NS/NAME"
  const std::vector<SourceIssue>& issues;      // by the objects' origin
  const std::set<std::string>& routed;         // "Kind/NS/NAME" with a route in the snapshot
  const std::set<std::string>& other_class;    // "Kind/NS/NAME" of another controller
};

struct CrdStatusInput {
  const std::vector<ResourceKind>& kinds;  // the CRD kinds watched (their objects get status)
  const std::vector<SourceObject>& objects;
  const CompileFindings& findings;
  std::string now;  // RFC 3339, for conditions that flip
};

// The updates needed, in the order of `objects`. Ready is False with the
// problems found (diagnostics, else the decoder's issues: reason Invalid);
// else, for the route kinds (IngressRoute, IngressRouteTCP/UDP), False
// "NotServed" when none of its routes is in the snapshot; else True
// "Accepted". Left out: objects of other kinds, of another ingress class,
// and those already carrying the desired Ready condition (status, reason,
// message, observedGeneration, and status.observedGeneration).
// lastTransitionTime is kept when Ready's status does not change. Other
// condition types stored on the object are kept, in place.
std::vector<CrdStatusUpdate> PlanCrdStatus(const CrdStatusInput& input);

// "2026-12-04T17:35:00Z" for the system clock now.
std::string Rfc3339Now();

}  // namespace portico::controlplane
