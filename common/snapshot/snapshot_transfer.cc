#include "common/snapshot/snapshot_transfer.h"

#include <algorithm>

namespace portico {

std::vector<v1::ControllerMessage> BuildTransfer(v1::SnapshotBegin begin,
                                                 const std::string& payload, size_t chunk_bytes) {
  std::vector<v1::ControllerMessage> messages;
  if (begin.mode() == v1::SnapshotBegin::UP_TO_DATE) {
    begin.set_chunk_count(0);
    begin.set_total_bytes(0);
    *messages.emplace_back().mutable_begin() = std::move(begin);
    return messages;
  }
  chunk_bytes = std::max<size_t>(chunk_bytes, 1);
  size_t chunks = (payload.size() + chunk_bytes - 1) / chunk_bytes;
  begin.set_chunk_count(static_cast<uint32_t>(chunks));
  begin.set_total_bytes(payload.size());
  const uint64_t nonce = begin.nonce();
  const std::string version = begin.version();
  messages.reserve(chunks + 2);
  *messages.emplace_back().mutable_begin() = std::move(begin);
  for (size_t i = 0; i < chunks; ++i) {
    v1::SnapshotChunk* chunk = messages.emplace_back().mutable_chunk();
    chunk->set_nonce(nonce);
    chunk->set_index(static_cast<uint32_t>(i));
    chunk->set_data(payload.substr(i * chunk_bytes, chunk_bytes));
  }
  v1::SnapshotCommit* commit = messages.emplace_back().mutable_commit();
  commit->set_nonce(nonce);
  commit->set_version(version);
  return messages;
}

TransferAssembler::Step TransferAssembler::Fail(std::string error) {
  error_ = std::move(error);
  in_transfer_ = false;
  payload_.clear();
  payload_.shrink_to_fit();
  return Step::kError;
}

TransferAssembler::Step TransferAssembler::Feed(const v1::ControllerMessage& message) {
  switch (message.message_case()) {
    case v1::ControllerMessage::kBegin: {
      if (in_transfer_) return Fail("a new transfer began before the previous one committed");
      begin_ = message.begin();
      payload_.clear();
      next_chunk_ = 0;
      if (begin_.version().empty()) return Fail("the transfer has no version");
      if (begin_.mode() == v1::SnapshotBegin::UP_TO_DATE) return Step::kUpToDate;
      if (begin_.mode() != v1::SnapshotBegin::FULL && begin_.mode() != v1::SnapshotBegin::DELTA) {
        return Fail("unknown transfer mode " + std::to_string(begin_.mode()));
      }
      if (begin_.mode() == v1::SnapshotBegin::DELTA && begin_.base_version().empty()) {
        return Fail("a delta without base version");
      }
      if (begin_.total_bytes() > limits_.max_total_bytes) {
        return Fail("the transfer announces " + std::to_string(begin_.total_bytes()) +
                    " bytes, over the limit of " + std::to_string(limits_.max_total_bytes));
      }
      // Announced sizes must be consistent before anything is reserved.
      uint64_t max_bytes = uint64_t{begin_.chunk_count()} * limits_.max_chunk_bytes;
      if (begin_.total_bytes() > max_bytes ||
          (begin_.chunk_count() > 0 && begin_.total_bytes() < begin_.chunk_count())) {
        return Fail("the transfer announces " + std::to_string(begin_.total_bytes()) +
                    " bytes in " + std::to_string(begin_.chunk_count()) + " chunks");
      }
      payload_.reserve(begin_.total_bytes());
      in_transfer_ = true;
      return Step::kInProgress;
    }
    case v1::ControllerMessage::kChunk: {
      const v1::SnapshotChunk& chunk = message.chunk();
      if (!in_transfer_) return Fail("a chunk outside a transfer");
      if (chunk.nonce() != begin_.nonce()) return Fail("a chunk of another transfer");
      if (chunk.index() != next_chunk_ || next_chunk_ >= begin_.chunk_count()) {
        return Fail("chunk " + std::to_string(chunk.index()) + " where " +
                    std::to_string(next_chunk_) + " was expected");
      }
      if (chunk.data().size() > limits_.max_chunk_bytes ||
          payload_.size() + chunk.data().size() > begin_.total_bytes()) {
        return Fail("chunk " + std::to_string(chunk.index()) + " overflows the announced size");
      }
      payload_ += chunk.data();
      ++next_chunk_;
      return Step::kInProgress;
    }
    case v1::ControllerMessage::kCommit: {
      const v1::SnapshotCommit& commit = message.commit();
      if (!in_transfer_) return Fail("a commit outside a transfer");
      if (commit.nonce() != begin_.nonce() || commit.version() != begin_.version()) {
        return Fail("the commit does not match its begin");
      }
      if (next_chunk_ != begin_.chunk_count() || payload_.size() != begin_.total_bytes()) {
        return Fail("commit after " + std::to_string(next_chunk_) + " of " +
                    std::to_string(begin_.chunk_count()) + " chunks");
      }
      in_transfer_ = false;
      return Step::kCommitted;
    }
    default:
      return Fail("an unknown message on the snapshot stream");
  }
}

}  // namespace portico
