// SnapshotClient: the proxy's end of the snapshot stream. On its own thread
// it connects to the controller, says hello with the version it serves,
// applies every snapshot through the ConfigPublisher and answers with an
// ACK or NACK. With the controller gone it keeps the last good config and
// reconnects, to the next address of the list, with jittered exponential
// backoff once a whole round of addresses failed. Start/Stop from one thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace grpc {
class ClientContext;
}

namespace portico::dataplane {

class ConfigPublisher;

struct SnapshotClientOptions {
  std::vector<std::string> controllers;  // host:port each; tried in turn
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
  // One stream to `address`, from connect to its end; true if it got as far
  // as sending the hello.
  bool RunStream(const std::string& address);
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
