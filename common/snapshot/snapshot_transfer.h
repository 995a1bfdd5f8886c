// Transfers on the snapshot stream: a payload (a serialized Snapshot or
// SnapshotDelta) cut into Begin / Chunk... / Commit messages of at most
// about 1 MiB each, so that no snapshot, however large, meets gRPC's message
// limits; and the proxy's assembler, which checks the sequence and hands
// over the payload only at Commit, so a stream cut mid-transfer applies
// nothing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "portico/v1/snapshot.pb.h"

namespace portico {

// Payload bytes per chunk. Far below the 1 MiB the protocol allows: gRPC
// moves many 64 KiB messages faster than few large ones (bench/RESULTS.md:
// a 1.7 MiB snapshot to 100 streams took 2.7-4.4 s in 1 MiB chunks, 1.0 s
// in 64 KiB chunks).
inline constexpr size_t kSnapshotChunkBytes = 64 * 1024;
// What a receiver accepts per chunk: any sender within the protocol's 1 MiB.
inline constexpr size_t kMaxSnapshotChunkBytes = 1u << 20;

// The messages of one transfer. `begin` gives mode, versions, nonce and
// controller; chunk_count and total_bytes are filled in here. An UP_TO_DATE
// transfer is the Begin alone.
std::vector<v1::ControllerMessage> BuildTransfer(v1::SnapshotBegin begin,
                                                 const std::string& payload,
                                                 size_t chunk_bytes = kSnapshotChunkBytes);

struct TransferLimits {
  uint64_t max_total_bytes = 1ull << 30;       // refuse larger transfers at Begin
  size_t max_chunk_bytes = kMaxSnapshotChunkBytes;
};

// Reassembles transfers, one at a time. Not thread-safe.
class TransferAssembler {
 public:
  enum class Step {
    kInProgress,  // more messages expected
    kCommitted,   // begin() and TakePayload() describe the transfer
    kUpToDate,    // begin() says which version is current; nothing to apply
    kError,       // error() says why; the transfer is dropped
  };

  explicit TransferAssembler(TransferLimits limits = {}) : limits_(limits) {}

  Step Feed(const v1::ControllerMessage& message);

  const v1::SnapshotBegin& begin() const { return begin_; }
  std::string TakePayload() { return std::move(payload_); }
  const std::string& error() const { return error_; }
  // True between a Begin and its Commit.
  bool in_transfer() const { return in_transfer_; }

 private:
  Step Fail(std::string error);

  TransferLimits limits_;
  v1::SnapshotBegin begin_;
  std::string payload_;
  uint32_t next_chunk_ = 0;
  bool in_transfer_ = false;
  std::string error_;
};

}  // namespace portico
