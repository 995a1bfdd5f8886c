// Deltas between snapshots: what a proxy that serves `base` needs to get to
// `target`. Clusters travel one by one (an endpoint change costs the size of
// its cluster); routes as removals and insertions at target indexes (a new
// route costs its own size), or whole when most of them changed; every
// other top-level field travels whole when it changed. Field handling uses
// reflection, so fields added to Snapshot later are covered.
#pragma once

#include <string>

#include "common/snapshot/shared_snapshot.h"
#include "portico/v1/snapshot.pb.h"

namespace portico {

// The delta from `base` to `target`. Both must have clusters sorted by name
// and unique (the controller's snapshots do). Parts are compared by their
// hashes: the cost is in the number of parts, not their bytes.
v1::SnapshotDelta BuildSnapshotDelta(const SharedSnapshot& base, const SharedSnapshot& target);

// Applies `delta` to `base` into *out, sharing every part the delta leaves,
// once the digest of the result equals `version`. Returns "" or why it
// failed (a removed or doubled cluster, an unknown field, a digest
// mismatch: each means the delta was not made for this base).
std::string ApplySnapshotDelta(const SharedSnapshot& base, const v1::SnapshotDelta& delta,
                               const std::string& version, SharedSnapshot* out);

// The same on whole messages (tests and tools): split, diffed or applied,
// then joined again.
v1::SnapshotDelta BuildSnapshotDelta(const v1::Snapshot& base, const v1::Snapshot& target);
std::string ApplySnapshotDelta(const v1::Snapshot& base, const v1::SnapshotDelta& delta,
                               const std::string& version, v1::Snapshot* out);

// True when only clusters differ: the route set is untouched.
bool OnlyClustersChanged(const v1::SnapshotDelta& delta);

}  // namespace portico
