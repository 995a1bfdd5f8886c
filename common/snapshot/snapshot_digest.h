// The version of a snapshot is a digest of its content: the hex SHA-256 of
// its deterministic serialization with the version field left out. Equal
// content gives an equal version on every controller replica, so a proxy
// that reconnects elsewhere with the current version gets nothing resent.
// Both binaries compute it: the controller to name snapshots, the proxy to
// check that a delta rebuilt exactly what was announced.
#pragma once

#include <string>

#include "portico/v1/snapshot.pb.h"

namespace portico {

std::string SnapshotDigest(const v1::Snapshot& snapshot);

}  // namespace portico
