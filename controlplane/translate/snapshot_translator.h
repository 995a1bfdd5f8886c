// Translates the compiler's routing model into the wire Snapshot (proto/)
// and stamps its content version. Pure; safe from any thread.
#pragma once

#include <string>

#include "controlplane/compiler/compile_result.h"
#include "portico/v1/snapshot.pb.h"

namespace portico::controlplane {

// Routes and clusters in the order given (Compile's order), `version` set to
// the SnapshotDigest of the result (common/snapshot/snapshot_digest.h).
v1::Snapshot TranslateSnapshot(const CompileResult& result);

}  // namespace portico::controlplane
