// SnapshotServer: serves portico.v1.SnapshotService/Stream to proxies. Keeps
// the newest snapshot, sends it to every stream (latest wins, never the same
// version twice) and records each proxy's ACK/NACK. Publish, Proxies and
// Shutdown may be called from any one thread (the controller's main loop);
// the streams run on gRPC's threads and share state under a mutex.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

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
  std::string sent_version;
  std::string acked_version;
  std::string nacked_version;  // last refused version, if any
  std::string nack_error;
};

struct SnapshotServerOptions {
  std::string host = "0.0.0.0";
  int port = 18000;  // 0 picks a free port
};

class SnapshotServer {
 public:
  SnapshotServer();
  ~SnapshotServer();  // Shutdown()
  SnapshotServer(const SnapshotServer&) = delete;
  SnapshotServer& operator=(const SnapshotServer&) = delete;

  // Listens with a plaintext channel (mutual TLS is not available yet).
  // Streams may connect at once but get nothing before the first Publish.
  // Returns "" or the error; *bound_port gets the port actually bound.
  std::string Start(const SnapshotServerOptions& options, int* bound_port);

  // Makes `snapshot` the newest; a snapshot whose version equals the current
  // one is dropped.
  void Publish(std::shared_ptr<const v1::Snapshot> snapshot);

  // Cancels every stream and stops listening; waits (bounded) until all
  // streams are done. Safe to call twice.
  void Shutdown();

  // A channel to this server that bypasses the network (tests).
  std::shared_ptr<grpc::Channel> InProcessChannel();

  std::vector<ProxyStatus> Proxies() const;
  uint64_t nacks_total() const { return nacks_total_.load(); }

 private:
  friend class ProxyStream;
  class Service;

  // Called by streams.
  void Register(ProxyStream* stream);
  void Unregister(ProxyStream* stream);
  void CountNack() { nacks_total_.fetch_add(1); }

  std::unique_ptr<Service> service_;
  std::unique_ptr<grpc::Server> server_;
  mutable std::mutex mu_;
  std::condition_variable drained_;
  std::set<ProxyStream*> streams_;                        // guarded by mu_
  std::shared_ptr<const v1::ControllerMessage> current_;  // guarded by mu_
  std::atomic<uint64_t> nacks_total_{0};
};

}  // namespace portico::controlplane
