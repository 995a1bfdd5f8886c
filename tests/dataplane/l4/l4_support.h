// Test support for TCP routing: a loopback backend that speaks first and
// echoes, blocking clients with deadlines, and snapshot builders.
#pragma once

#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "portico/v1/snapshot.pb.h"

namespace portico::testing {

// Sends "<name>\n" as soon as a connection opens (a server-first
// protocol), echoes every byte, and on the client's EOF writes "[eof]" and
// closes. Counts connections opened and finished.
class EchoServer {
 public:
  EchoServer(const std::string& ip, std::string name);
  ~EchoServer();
  int port() const { return port_; }
  const std::string& ip() const { return ip_; }
  int accepted() const { return accepted_.load(); }
  int finished() const { return finished_.load(); }

 private:
  void Serve(int fd);
  std::string ip_;
  std::string name_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> accepted_{0};
  std::atomic<int> finished_{0};
  std::thread acceptor_;
  std::mutex mu_;
  std::vector<std::thread> servers_;
  std::vector<int> fds_;
};

// A blocking client socket (2 s receive timeout on each read).
class RawClient {
 public:
  explicit RawClient(int port);
  ~RawClient();
  bool connected() const { return fd_ >= 0; }
  void Send(const std::string& bytes);
  void ShutdownWrite();
  void Close();
  // Reads until `want` is among the bytes read (true) or 5 s pass / EOF.
  bool ReadUntil(const std::string& want);
  // Reads until EOF (true) within 5 s; *got receives the bytes.
  bool ReadToEof(std::string* got = nullptr);
  // One read (up to 200 ms): what arrived, "" if nothing.
  std::string ReadSome();
  const std::string& received() const { return received_; }
  int fd() const { return fd_; }

 private:
  int fd_ = -1;
  std::string received_;
};

// Polls `condition` every millisecond until it holds or `ms` pass.
template <typename F>
bool Eventually(F condition, int ms = 5000);

// A cluster "<name>" of the given loopback backends.
void AddCluster(v1::Snapshot* s, const std::string& name,
                const std::vector<const EchoServer*>& eps);
// A TCP route to one cluster; `hosts` empty and no tls: HostSNI(`*`).
v1::TcpRoute* AddTcpRoute(v1::Snapshot* s, const std::string& name, const std::string& cluster,
                          const std::string& sni = "");

}  // namespace portico::testing

#include <chrono>
namespace portico::testing {
template <typename F>
bool Eventually(F condition, int ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::yield();
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return condition();
}
}  // namespace portico::testing
