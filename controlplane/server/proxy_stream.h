// ProxyStream: one proxy's Stream RPC (a gRPC callback reactor). It waits for
// the hello, then writes the newest snapshot whenever it differs from what
// the proxy has, one write at a time, and records acks. Its methods run on
// gRPC threads and on the publisher's thread; state is guarded by mu_.
// It deletes itself in OnDone.
#pragma once

#include <grpcpp/grpcpp.h>

#include <memory>
#include <mutex>
#include <string>

#include "controlplane/server/latest_wins_slot.h"
#include "controlplane/server/snapshot_server.h"
#include "portico/v1/snapshot.pb.h"

namespace portico::controlplane {

class ProxyStream : public grpc::ServerBidiReactor<v1::ProxyMessage, v1::ControllerMessage> {
 public:
  ProxyStream(SnapshotServer* server, std::string peer);

  // The newest snapshot; called by SnapshotServer with its mutex held.
  void Offer(std::shared_ptr<const v1::ControllerMessage> message);
  ProxyStatus status() const;

  void OnReadDone(bool ok) override;
  void OnWriteDone(bool ok) override;
  void OnDone() override;

 private:
  void HandleHello(const v1::ProxyHello& hello);
  void HandleAck(const v1::SnapshotAck& ack);
  void MaybeWriteLocked();
  void FinishLocked(const grpc::Status& status);

  SnapshotServer* const server_;
  v1::ProxyMessage in_;  // only touched by the read chain
  mutable std::mutex mu_;
  ProxyStatus status_;             // guarded by mu_
  bool hello_seen_ = false;        // guarded by mu_
  LatestWinsSlot outgoing_;        // guarded by mu_
  bool finish_requested_ = false;  // guarded by mu_
  bool finished_ = false;          // guarded by mu_
  grpc::Status finish_status_;     // guarded by mu_
  // Tags for orderings gRPC guarantees but keeps inside libgrpc, where
  // ThreadSanitizer cannot see them (common/happens_before.h): the
  // constructor before every reaction, every reaction before OnDone.
  const char constructed_ = 0;
  const char reacted_ = 0;
};

}  // namespace portico::controlplane
