// SnapshotServer: serves portico.v1.SnapshotService/Stream to proxies
// (docs/snapshot-protocol.md). Keeps the newest snapshot and a few before it,
// builds each transfer (FULL, or DELTA from a version a proxy has) once and
// shares it between streams, and ends streams whose push went unanswered or
// which reached their age limit. Publish, Proxies and Shutdown may be called
// from any one thread (the controller's main loop); streams run on gRPC's
// threads; a sweeper thread watches deadlines. State is under mutexes.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <optional>
#include <mutex>
#include <deque>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "common/deferred_release.h"
#include "controlplane/server/push_schedule.h"

#include "portico/v1/snapshot.grpc.pb.h"
#include "portico/v1/snapshot.pb.h"

namespace grpc {
class Server;
class Channel;
}  // namespace grpc

namespace portico::controlplane {

class ProxyStream;

// What the controller knows about one connected proxy.
struct ProxyStatus {
  std::string node;  // from its hello ("" until the hello arrived)
  std::string peer;  // transport address, e.g. "ipv4:127.0.0.1:50312"
  std::map<std::string, std::string> labels;
  std::string acked_version;    // what the proxy serves
  std::string pending_version;  // sent, not answered yet
  std::string nacked_version;   // last refused version, if any
  std::string nack_code;
  std::string nack_error;
  std::vector<std::string> nack_resource_keys;  // what the proxy blamed (at most 16)
  double connected_seconds = 0;  // stream age
  double lag_seconds = 0;        // how long it has been behind the newest snapshot
  uint64_t transfers = 0;        // FULL and DELTA transfers sent
  uint64_t transfer_bytes = 0;
};

// Mutual TLS for the snapshot channel: PEM contents, not paths.
struct ServerTls {
  std::string certificate_chain;
  std::string private_key;
  std::string client_ca;  // proxies must present a certificate it signed
  // Set: the files these came from, read again every `refresh_s` seconds
  // by gRPC; new handshakes use what they hold once it loads (a rotation
  // by cert-manager needs no restart; a half-written pair keeps the old).
  std::string certificate_file, private_key_file, client_ca_file;
  unsigned refresh_s = 60;
};

struct SnapshotServerOptions {
  std::string host = "0.0.0.0";
  int port = 18000;  // 0 picks a free port
  std::optional<ServerTls> tls;  // none: plaintext (--grpc-insecure)
  std::string replica;           // this controller's name in transfers
  // An unanswered push ends the stream after this long (the proxy reconnects).
  std::chrono::milliseconds ack_timeout{30'000};
  // Streams end after this age plus up to `max_stream_age_jitter`, once idle,
  // so proxies spread over replicas again after a rollout. 0: no limit.
  std::chrono::milliseconds max_stream_age{std::chrono::minutes(45)};
  std::chrono::milliseconds max_stream_age_jitter{std::chrono::minutes(15)};
  size_t recent_snapshots = 8;  // versions a reconnecting proxy gets a delta from
  size_t chunk_bytes = 0;       // 0: kSnapshotChunkBytes (tests use small chunks)
};

// The messages of one transfer, shared by every stream that sends it.
struct Transfer {
  uint64_t nonce = 0;
  uint64_t bytes = 0;
  std::vector<v1::ControllerMessage> messages;
};
using TransferPtr = std::shared_ptr<const Transfer>;

class SnapshotServer {
 public:
  SnapshotServer();
  ~SnapshotServer();  // Shutdown()
  SnapshotServer(const SnapshotServer&) = delete;
  SnapshotServer& operator=(const SnapshotServer&) = delete;

  // Listens (mutual TLS unless options.tls is empty) and starts the
  // sweeper. Streams may connect at once but get nothing before the first
  // Publish.
  // Returns "" or the error; *bound_port gets the port actually bound.
  std::string Start(const SnapshotServerOptions& options, int* bound_port);

  // Makes `snapshot` the newest; a snapshot whose version equals the current
  // one is dropped.
  void Publish(SnapshotPtr snapshot);

  // Cancels every stream and stops listening; waits (bounded) until all
  // streams are done. Safe to call twice.
  void Shutdown();

  // A channel to this server that bypasses the network (tests).
  std::shared_ptr<grpc::Channel> InProcessChannel();

  std::vector<ProxyStatus> Proxies() const;
  uint64_t nacks_total() const { return nacks_total_.load(); }
  uint64_t ack_timeouts_total() const { return ack_timeouts_total_.load(); }
  uint64_t transfers_built_total() const { return transfers_built_.load(); }
  const SnapshotServerOptions& options() const { return options_; }

 private:
  friend class ProxyStream;
  class Service;

  // Called by streams.
  void Register(ProxyStream* stream);
  void Unregister(ProxyStream* stream);
  void CountNack() { nacks_total_.fetch_add(1); }
  void CountAckTimeout() { ack_timeouts_total_.fetch_add(1); }
  // The held snapshot of `version`, or null.
  SnapshotPtr Held(const std::string& version) const;
  // The transfer for `plan`, built once per (base, target) and cached while
  // `plan.target` is the newest. UP_TO_DATE transfers are built each time.
  TransferPtr TransferFor(const PushPlan& plan);
  std::chrono::steady_clock::time_point StreamDeadline(std::chrono::steady_clock::time_point start);
  void Sweep();

  SnapshotServerOptions options_;
  std::unique_ptr<Service> service_;
  std::unique_ptr<grpc::Server> server_;
  mutable std::mutex mu_;
  std::condition_variable drained_;
  std::condition_variable sweep_wake_;
  bool stopping_ = false;                // guarded by mu_
  std::set<ProxyStream*> streams_;       // guarded by mu_
  std::deque<SnapshotPtr> recent_;       // newest last; guarded by mu_
  std::thread sweeper_;
  std::mutex transfers_mu_;              // after mu_ and any stream's mutex
  std::map<std::pair<std::string, std::string>, TransferPtr> transfers_;  // (base, target)
  std::string transfers_target_;         // guarded by transfers_mu_
  std::atomic<uint64_t> next_nonce_{1};
  std::atomic<uint64_t> nacks_total_{0};
  std::atomic<uint64_t> ack_timeouts_total_{0};
  std::atomic<uint64_t> transfers_built_{0};
  // Frees snapshots that left `recent_` off the publishing thread (last:
  // destroyed first).
  DeferredRelease release_;
};

}  // namespace portico::controlplane
