// PushSchedule: decides what one proxy's stream sends next. Pure logic, no
// I/O and no clock; its owner (ProxyStream) guards it with a mutex.
//
// Rules (docs/snapshot-protocol.md):
// - after the hello: nothing while there is no snapshot; UP_TO_DATE when the
//   proxy already serves the newest; a DELTA from its version when the server
//   still holds that snapshot; else FULL;
// - at most one transfer awaits its ack; snapshots offered meanwhile replace
//   each other and only the newest is sent after the ack;
// - after an ack, the next transfer is a DELTA from the acked snapshot;
// - a NACKed version is never sent again (the stream is parked until a newer
//   snapshot comes), except after BASE_MISMATCH, which gets the same version
//   as FULL.
#pragma once

#include <deque>
#include <memory>
#include <optional>
#include <string>

#include "common/snapshot/shared_snapshot.h"
#include "portico/v1/snapshot.pb.h"

namespace portico::controlplane {

using SnapshotPtr = std::shared_ptr<const SharedSnapshot>;

struct PushPlan {
  v1::SnapshotBegin::Mode mode = v1::SnapshotBegin::FULL;
  SnapshotPtr target;
  SnapshotPtr base;  // DELTA only
};

class PushSchedule {
 public:
  enum class Answer { kApplied, kRefused, kUnexpected };

  // The proxy serves `version` ("" for nothing); `held` is the server's copy
  // of that snapshot when it still has one, else null.
  void Hello(const std::string& version, SnapshotPtr held);
  void Offer(SnapshotPtr newest);
  // What to send now, or nothing (no hello yet, an ack pending, nothing new,
  // or the newest was refused). A FULL or DELTA plan then awaits its answer.
  std::optional<PushPlan> Next();
  // The proxy answered the pending transfer. kUnexpected: nothing was
  // pending, or the answer names another version (a protocol error).
  Answer Answered(const std::string& version, bool accepted, v1::SnapshotAck::Code code);

  bool awaiting_answer() const { return pending_.has_value(); }
  const std::string& acked_version() const { return acked_version_; }
  std::string pending_version() const { return pending_ ? pending_->target->version() : ""; }
  std::string newest_version() const { return newest_ ? newest_->version() : ""; }
  bool parked() const;  // the newest was refused: waiting for another one

 private:
  bool hello_seen_ = false;
  bool hello_answered_ = false;
  SnapshotPtr newest_;
  SnapshotPtr acked_;          // the snapshot the proxy serves, when held
  std::string acked_version_;  // its version, even when not held
  std::optional<PushPlan> pending_;
  bool force_full_ = false;
  std::deque<std::string> refused_;  // the last few NACKed versions
};

}  // namespace portico::controlplane
