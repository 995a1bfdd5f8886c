// ProxyStream: one proxy's Stream RPC (a gRPC callback reactor). It waits for
// the hello, then writes the transfers its PushSchedule asks for, one
// message at a time, and feeds the proxy's answers back to the schedule.
// Its methods run on gRPC threads, the publisher's thread and the server's
// sweeper; state is guarded by mu_. It deletes itself in OnDone.
#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <string>

#include "controlplane/server/push_schedule.h"
#include "controlplane/server/snapshot_server.h"
#include "portico/v1/snapshot.pb.h"

namespace portico::controlplane {

class ProxyStream : public grpc::ServerBidiReactor<v1::ProxyMessage, v1::ControllerMessage> {
 public:
  using Clock = std::chrono::steady_clock;

  ProxyStream(SnapshotServer* server, std::string peer);

  // The newest snapshot; called by SnapshotServer with its mutex held.
  void Offer(SnapshotPtr newest);
  ProxyStatus status() const;
  // Ends the stream when its push has waited longer than the ack timeout,
  // or when it is idle past its age limit. Called by the sweeper.
  void Sweep(Clock::time_point now);

  void OnReadDone(bool ok) override;
  void OnWriteDone(bool ok) override;
  void OnDone() override;

 private:
  void HandleHello(const v1::ProxyHello& hello);
  void HandleAck(const v1::SnapshotAck& ack);
  void MaybeWriteLocked();
  void FinishLocked(const grpc::Status& status);
  void NoteBehindLocked();

  SnapshotServer* const server_;
  const Clock::time_point started_ = Clock::now();
  const Clock::time_point age_deadline_;
  v1::ProxyMessage in_;  // only touched by the read chain
  mutable std::mutex mu_;
  ProxyStatus status_;                 // guarded by mu_
  bool hello_seen_ = false;            // guarded by mu_
  PushSchedule schedule_;              // guarded by mu_
  TransferPtr transfer_;               // being written or awaiting its ack; guarded by mu_
  size_t next_message_ = 0;            // guarded by mu_
  bool writing_ = false;               // guarded by mu_
  Clock::time_point pending_since_{};  // guarded by mu_
  Clock::time_point behind_since_{};   // guarded by mu_; epoch when up to date
  bool finish_requested_ = false;      // guarded by mu_
  bool finished_ = false;              // guarded by mu_
  grpc::Status finish_status_;         // guarded by mu_
  // Tags for orderings gRPC guarantees but keeps inside libgrpc, where
  // ThreadSanitizer cannot see them (common/happens_before.h): the
  // constructor before every reaction, every reaction before OnDone.
  const char constructed_ = 0;
  const char reacted_ = 0;
};

}  // namespace portico::controlplane
