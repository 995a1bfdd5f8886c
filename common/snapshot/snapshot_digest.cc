#include "common/snapshot/snapshot_digest.h"

#include "common/snapshot/shared_snapshot.h"

namespace portico {

std::string SnapshotDigest(const v1::Snapshot& snapshot) {
  return SharedSnapshot::FromMessage(snapshot).digest();
}

}  // namespace portico
