// TcpConnection: one client connection on an entrypoint that has TCP
// routes (IngressRouteTCP), from accept to close. Phases: route (peek at
// the first bytes for a TLS ClientHello when a TLS route could match,
// bounded in time and size; not at all when only plain routes exist, so
// server-speaks-first protocols work) → middlewares → dial a backend (WRR
// over the route's backends, then round robin over the cluster's ready
// endpoints, the next one when a dial fails) → splice both ways. A
// connection no TCP route takes is handed, with the bytes peeked, to the
// HTTP code (DownstreamConnection::Adopt). TLS may sit on either side: the
// client's (terminating routes) and the backend's (L4Backend.tls); the
// splice moves plaintext between them. The connection keeps the TCP routing
// it was routed with (the whole config only until its backend is ready): a
// config swap never closes it. Loop thread only; freed
// in its last close callback. Splicing is in tcp_splice.cc.
#pragma once

#include <uv.h>

#include <atomic>
#include <memory>
#include <string>

#include "dataplane/config/runtime_config.h"
#include "dataplane/l4/tcp_routing.h"
#include "dataplane/tls/tls_connection.h"

namespace portico::dataplane {

class Worker;
struct EntrypointListener;

class TcpConnection {
 public:
  static void Accept(Worker* worker, EntrypointListener* entrypoint, uv_stream_t* listener);
  // Closes both sides now (the worker's grace period ended).
  void Close();

 private:
  enum class Phase : uint8_t { kPeeking, kDialing, kSplicing };
  enum class TimerRole : uint8_t { kNone, kPeek, kDial, kTermination };
  // The second timer: deadlines that run beside a dial or the termination
  // delay.
  enum class GuardRole : uint8_t { kNone, kClientHandshake, kWriteStall };

  // One end of the splice.
  struct Side {
    TcpConnection* owner = nullptr;
    uv_tcp_t* tcp = nullptr;  // heap: closed (and freed) independently
    std::unique_ptr<TlsConnection> tls;
    SSL* ssl = nullptr;   // inside tls
    bool client = false;  // the client's side (else the backend's)
    bool reading = false;
    bool eof = false;        // no more bytes will come from this side
    bool shut = false;       // our write side is shut (FIN queued)
    bool shut_done = false;  // ... and the FIN went out
    std::string waiting;     // plaintext for this side before it is ready
    size_t queued_seen = 0;  // its write queue's size when last counted (bytes sent)
  };

  TcpConnection(Worker* worker, EntrypointListener* entrypoint);
  ~TcpConnection();

  void Start();
  void Route();
  void OnPeekBytes(const char* data, size_t len);
  bool RecordCompleted();
  void OnPeekTimeout();
  void ToHttp();
  void Take(const TcpAction* action);
  bool RunMiddlewares();
  void Refuse(const char* why);
  void Dial();
  void OnDialed(int status);
  void DialFailed(const char* why);
  void OnBackendTcpOpen();
  void OnBackendReady();

  // Splice (tcp_splice.cc).
  void StartClientTls();
  void StartReading(Side& side);
  void StopReading(Side& side);
  void OnBytes(Side& from, const char* data, size_t len);
  void OnTlsBytes(Side& from, const char* data, size_t len);
  void Deliver(Side& to, std::string_view plaintext);
  void SendRaw(Side& to, std::string_view bytes);
  void OnEnd(Side& from);
  void OnSideReady(Side& side);  // it can take plaintext now: flush what waits
  bool Ready(const Side& side) const;
  void Shut(Side& side);
  void MaybeFinish();
  void CountSentToClient();
  void OnTerminationDelay();
  // After an EOF: while bytes wait for a peer, each write that completes
  // restarts the write-stall deadline (idle_timeout).
  void WatchStall();
  // Reads on each side while the other takes its bytes (backpressure).
  void UpdateReading();
  Side& Other(Side& side) { return &side == &client_ ? backend_ : client_; }

  static void OnRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);
  static void OnWrite(uv_write_t* req, int status);
  static void OnTimer(uv_timer_t* timer);
  static void OnGuardTimer(uv_timer_t* timer);
  void ArmTimer(TimerRole role, uint64_t ms);
  void ArmGuard(GuardRole role, uint64_t ms);
  void StopGuard();
  void CloseHandle(uv_handle_t* handle);

  Worker* worker_;
  EntrypointListener* entrypoint_;
  std::shared_ptr<const RuntimeConfig> config_;  // the one it was routed with, until dialled
  // Holds action_, transport_ and in_flight_held_ for the connection's life.
  std::shared_ptr<const TcpRouting> routing_;
  Side client_;
  Side backend_;
  uv_timer_t timer_{};
  TimerRole timer_role_ = TimerRole::kNone;
  uv_timer_t guard_{};
  GuardRole guard_role_ = GuardRole::kNone;
  int open_handles_ = 0;
  bool closing_ = false;
  bool counted_ = false;     // holds one of the entrypoint's connection slots
  bool registered_ = false;  // in the worker's list
  Phase phase_ = Phase::kPeeking;
  sockaddr_storage peer_{};
  sockaddr_storage local_{};
  std::string client_ip_;
  std::string peeked_;         // client bytes read before a route was chosen
  size_t peeked_records_ = 0;  // bytes of peeked_ that are whole TLS records
  std::string server_name_;    // from the ClientHello
  const TcpAction* action_ = nullptr;
  const TcpTransport* transport_ = nullptr;
  size_t backend_index_ = 0;
  const Cluster* cluster_ = nullptr;
  int dial_attempts_ = 0;
  size_t endpoint_cursor_ = 0;
  std::string endpoint_key_;
  bool backend_ready_ = false;  // connected (and TLS done when the backend uses it)
  std::vector<const TcpMiddlewareSpec*> in_flight_held_;
  std::atomic<int64_t>* open_gauge_ = nullptr;
};

}  // namespace portico::dataplane
