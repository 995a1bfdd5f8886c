// Deltas between snapshots: what a proxy that serves `base` needs to get to
// `target`. Clusters travel one by one (an endpoint change costs the size of
// its cluster); routes as removals and insertions at target indexes (a new
// route costs its own size), or whole when most of them changed; every
// other top-level field travels whole when it changed. Field handling uses
// reflection, so fields added to Snapshot later are covered.
#pragma once

#include <string>

#include "portico/v1/snapshot.pb.h"

namespace portico {

// The delta from `base` to `target`. Both must have clusters sorted by name
// and unique (the controller's snapshots do).
v1::SnapshotDelta BuildSnapshotDelta(const v1::Snapshot& base, const v1::Snapshot& target);

// Applies `delta` to `base` into *out and sets out->version to `version`
// once the digest of the result equals it. Returns "" or why it failed (a
// removed or doubled cluster, an unknown field, a digest mismatch: each
// means the delta was not made for this base).
std::string ApplySnapshotDelta(const v1::Snapshot& base, const v1::SnapshotDelta& delta,
                               const std::string& version, v1::Snapshot* out);

// True when only clusters differ: the route set is untouched.
bool OnlyClustersChanged(const v1::SnapshotDelta& delta);

}  // namespace portico
