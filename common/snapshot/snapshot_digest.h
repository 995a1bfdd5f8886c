// The version of a snapshot is a digest of its content: equal content gives
// an equal version on every controller replica, so a proxy that reconnects
// elsewhere with the current version gets nothing resent. Both binaries
// compute it: the controller to name snapshots, the proxy to check that a
// delta rebuilt exactly what was announced. It is defined over the parts of
// a SharedSnapshot (shared_snapshot.h), whose digest() is the same value
// computed from hashes already held.
#pragma once

#include <string>

#include "portico/v1/snapshot.pb.h"

namespace portico {

// The digest of a whole message; its version field is left out.
std::string SnapshotDigest(const v1::Snapshot& snapshot);

}  // namespace portico
