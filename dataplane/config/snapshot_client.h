// SnapshotClient: the proxy's end of the snapshot stream. On its own thread
// it connects to the controller, says hello with the version it serves,
// applies every snapshot through the ConfigPublisher and answers with an
// ACK or NACK. With the controller gone it keeps the last good config and
// reconnects with jittered exponential backoff. Start/Stop from one thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace grpc {
class ClientContext;
}

namespace portico::dataplane {

class ConfigPublisher;

struct SnapshotClientOptions {
  std::string controller;  // host:port
  std::string node;        // this proxy's name
  std::string build;
};

class SnapshotClient {
 public:
  SnapshotClient(SnapshotClientOptions options, ConfigPublisher* publisher);
  ~SnapshotClient();

  void Start();
  void Stop();
  bool connected() const { return connected_.load(); }

 private:
  void Run();
  // One stream, from connect to its end; true if it received anything.
  bool RunStream();
  void WaitBackoff(int attempt);

  SnapshotClientOptions options_;
  ConfigPublisher* publisher_;
  std::thread thread_;
  std::atomic<bool> connected_{false};
  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;                   // guarded by mu_
  grpc::ClientContext* context_ = nullptr;  // guarded by mu_
};

}  // namespace portico::dataplane
