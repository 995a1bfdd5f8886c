// SnapshotClient: the proxy's end of the snapshot stream
// (docs/snapshot-protocol.md). On its own thread it connects to the
// controller, says hello with the version it serves, reassembles each
// transfer (nothing is applied before its Commit), rebuilds deltas on the
// snapshot it serves, applies through the ConfigPublisher and answers with
// an ACK or a NACK and its code. With the controller gone it keeps the last good config and
// reconnects, to the next address of the list, with jittered exponential
// backoff once a whole round of addresses failed. Start/Stop from one thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <optional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace grpc {
class ClientContext;
}

namespace portico::dataplane {

class ConfigPublisher;

// Mutual TLS for the snapshot channel: PEM contents, not paths.
struct ClientTls {
  std::string certificate_chain;  // this proxy's certificate
  std::string private_key;
  std::string server_ca;    // the controller's certificate must chain to it
  std::string server_name;  // name the controller's certificate must hold; "": the host dialled
  // Set: the files the three came from, read again before each connection
  // (a rotated certificate is used from the next stream on; files that do
  // not load keep the last good ones, with a warning).
  std::string certificate_file, private_key_file, server_ca_file;
};

struct SnapshotClientOptions {
  std::vector<std::string> controllers;  // host:port each; tried in turn
  std::string node;        // this proxy's name
  std::string build;
  std::map<std::string, std::string> labels;  // sent in the hello
  std::optional<ClientTls> tls;               // none: plaintext (--grpc-insecure)
};

class SnapshotClient {
 public:
  SnapshotClient(SnapshotClientOptions options, ConfigPublisher* publisher);
  ~SnapshotClient();

  void Start();
  void Stop();
  bool connected() const { return connected_.load(); }
  uint64_t nacks() const { return nacks_.load(); }
  uint64_t deltas_applied() const { return deltas_applied_.load(); }

 private:
  void Run();
  // One stream to `address`, from connect to its end; true if it got as far
  // as sending the hello.
  bool RunStream(const std::string& address);
  void WaitBackoff(int attempt);

  // Reads the channel's certificate files again (ClientTls); stream thread.
  void ReloadTls();

  SnapshotClientOptions options_;
  ConfigPublisher* publisher_;
  std::thread thread_;
  std::atomic<bool> connected_{false};
  std::atomic<uint64_t> nacks_{0};
  std::atomic<uint64_t> deltas_applied_{0};
  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;                   // guarded by mu_
  grpc::ClientContext* context_ = nullptr;  // guarded by mu_
};

}  // namespace portico::dataplane
