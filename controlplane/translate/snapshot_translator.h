// Translates the compiler's routing model into the wire Snapshot (proto/)
// and stamps its content version. Pure; safe from any thread.
#pragma once

#include <string>

#include "controlplane/compiler/compile_result.h"
#include "portico/v1/snapshot.pb.h"

namespace portico::controlplane {

// Routes and clusters in the order given (Compile's order), `version` set to
// SnapshotVersion of the result.
v1::Snapshot TranslateSnapshot(const CompileResult& result);

// Lowercase hex SHA-256 of the deterministic serialization of `snapshot`
// with its version field cleared: equal content, equal version.
std::string SnapshotVersion(const v1::Snapshot& snapshot);

}  // namespace portico::controlplane
