// LatestWinsSlot: the send side of one snapshot stream. At most one snapshot
// is in flight; of those offered meanwhile only the newest is kept, and a
// version the proxy already has is never sent again. Not thread-safe: its
// owner (ProxyStream) guards it with a mutex.
#pragma once

#include <memory>
#include <string>

#include "portico/v1/snapshot.pb.h"

namespace portico::controlplane {

class LatestWinsSlot {
 public:
  using Message = std::shared_ptr<const v1::ControllerMessage>;

  // The proxy already serves `version` (from its hello): counts as sent.
  void SetPeerVersion(const std::string& version) { sent_version_ = version; }
  // Replaces whatever was waiting.
  void Offer(Message message) { newest_ = std::move(message); }
  // The message to write now, or null when one is in flight or the newest is
  // what the proxy has. The returned message is then in flight.
  Message TakeNext();
  // The write in flight ended; on success its version counts as sent.
  void WriteDone(bool ok);
  // The proxy answered for `version`: if that is the write in flight, it
  // counts as sent already (the answer may come before WriteDone).
  void Delivered(const std::string& version);

  bool writing() const { return in_flight_ != nullptr; }
  const std::string& sent_version() const { return sent_version_; }

 private:
  Message newest_;
  Message in_flight_;
  std::string sent_version_;
};

}  // namespace portico::controlplane
