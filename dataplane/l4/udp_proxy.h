// UdpListener: one worker's socket of a UDP entrypoint (SO_REUSEPORT: the
// kernel keeps one client's datagrams on one worker) and its sessions. A
// session is one client address: at its first datagram the entrypoint's UDP
// route picks a backend (WRR, then round robin over the cluster's ready
// endpoints) and the session gets its own connected socket to it, so
// answers find their client. Datagrams pass both ways as they are (dropped,
// as UDP may, when a socket buffer is full); a session with no datagram
// either way for the UDP timeout, or whose endpoint is gone (an ICMP error,
// or a config without it), is closed, and at most udp_max_sessions
// live at once (datagrams of further clients are dropped). Loop thread
// only; deletes itself after Close once every handle is closed.
#pragma once

#include <uv.h>

#include <atomic>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "dataplane/config/runtime_config.h"
#include "dataplane/l4/l4_metrics.h"

namespace portico::dataplane {

class Worker;
struct EntrypointListener;

class UdpListener {
 public:
  // Takes over entrypoint->fd (a bound UDP socket).
  UdpListener(Worker* worker, EntrypointListener* entrypoint);
  void Start();  // receive (from the first config on)
  void Close();  // the socket and every session
  // A new config: sessions whose endpoint is no longer ready are closed
  // (their client's next datagram picks again).
  void OnConfig(const RuntimeConfig& config);
  size_t sessions() const { return sessions_.size(); }

 private:
  struct Session {
    UdpListener* owner = nullptr;
    uv_udp_t socket{};
    uv_timer_t timer{};
    sockaddr_storage client{};
    std::string key;
    std::string cluster;   // where the session was sent: its cluster
    std::string endpoint;  // ... and its endpoint's key
    uint64_t last_ms = 0;  // loop time of the last datagram either way
    L4RouteCounters* counters = nullptr;
    int open_handles = 2;
    bool counted = false;  // in the entrypoint's open-sessions gauge
  };

  ~UdpListener() = default;
  static void OnClientDatagram(uv_udp_t* handle, ssize_t nread, const uv_buf_t* buf,
                               const sockaddr* addr, unsigned flags);
  static void OnBackendDatagram(uv_udp_t* handle, ssize_t nread, const uv_buf_t* buf,
                                const sockaddr* addr, unsigned flags);
  static void OnIdle(uv_timer_t* timer);
  Session* NewSession(const sockaddr* client, const std::string& key);
  void CloseSession(Session* session);
  void HandleClosed();

  Worker* worker_;
  EntrypointListener* entrypoint_;
  uv_udp_t socket_{};
  bool started_ = false;
  bool closing_ = false;
  int open_ = 1;  // the socket, plus sessions not yet freed
  absl::flat_hash_map<std::string, Session*> sessions_;
  std::atomic<int64_t>* gauge_ = nullptr;
};

}  // namespace portico::dataplane
