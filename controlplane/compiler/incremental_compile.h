// The incremental compile: when only Ingresses changed since a full
// compile, patches that compile's result instead of compiling every object
// again, so that a new route among 10 000 costs about what its own objects
// cost. Its output is exactly what Compile gives for the new state (tested
// against it: snapshot_pipeline_incremental_test.cc); where that cannot be
// promised cheaply (TLS, a conflict between routes) it declines and the
// caller compiles in full. Pure, like Compile.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "controlplane/compiler/compile_context.h"
#include "controlplane/compiler/compile_options.h"
#include "controlplane/compiler/compile_result.h"
#include "controlplane/model/cluster_state.h"

namespace portico::controlplane {

// What a compile leaves for patching its result later.
struct CompileIndex {
  // The RoutePrecedence of each route of the result, in the result's order.
  std::vector<RoutePrecedence> precedence;
  // The ClaimKey (route_order.h) of every route of the result.
  absl::flat_hash_set<std::string> claims;
  // Ingresses with spec.tls or a TLS option annotation: they feed the TLS
  // processor (certificates, TLS-only routes, options), which is not patched.
  std::set<ObjectKey> tls_ingresses;
  // Some candidate was dropped as a conflict: which one wins after a change
  // depends on every claimant.
  bool conflicts = false;
};

// `result` and `index` come from Compile (or from this function) over a
// state that differs from `state` only in the Ingresses `changed` names
// (added, edited or removed), with the same `options` and on the same side
// of result->valid_until. Patches both into what Compile(state, options,
// index) gives and returns true; returns false when it cannot promise that,
// leaving *result and *index unspecified: compile in full then.
bool RecompileIngresses(const ClusterState& state, const CompileOptions& options,
                        const std::vector<ObjectKey>& changed, CompileResult* result,
                        CompileIndex* index);

}  // namespace portico::controlplane
