// UpstreamConnection: one TCP connection from a worker to a backend endpoint,
// plaintext or TLS (scheme https: the handshake follows the connect, and
// the HTTP code below only ever sees plaintext; the connection counts as
// up once the handshake and the peer checks passed).
// It writes the request bytes it is given, parses the response with llhttp
// and reports to the UpstreamOwner it serves (a client connection, or a
// mirrored request). Between requests it
// sits in the worker's ConnectionPool. After a 101 to an upgrade request it
// becomes a tunnel: bytes pass both ways unparsed until either side closes.
// Loop thread only; the object is freed in its close callback, never
// directly.
#pragma once

#include <llhttp.h>
#include <uv.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "dataplane/http/head_scanner.h"
#include "dataplane/http/header_collector.h"
#include "dataplane/http/message.h"
#include "dataplane/http/upstream_owner.h"
#include "dataplane/net/deadline_timer.h"
#include "dataplane/tls/tls_connection.h"
#include "dataplane/tls/upstream_tls.h"

namespace portico::dataplane {

class Worker;

struct Endpoint;

class UpstreamConnection {
 public:
  // Starts connecting; the owner hears OnUpstreamFailed on failure.
  // `connect_timeout_ms` 0: the worker's default.
  static UpstreamConnection* Connect(Worker* worker, const Endpoint& endpoint,
                                     UpstreamOwner* owner, uint64_t connect_timeout_ms = 0);

  // A connection for `owner` to `endpoint`, over TLS with `tls` (null:
  // plaintext) presenting and verifying the name for `host` (the Host sent
  // upstream; "" : the endpoint's address): an idle pooled one with the
  // same identity when there is one, else a new one.
  static UpstreamConnection* Acquire(Worker* worker, const Endpoint& endpoint,
                                     const UpstreamTlsContext* tls, std::string_view host,
                                     UpstreamOwner* owner, uint64_t connect_timeout_ms = 0);
  // The pool key of a connection: the endpoint, and for TLS the context
  // (all its settings) and the name presented.
  static std::string PoolKey(const Endpoint& endpoint, const UpstreamTlsContext* tls,
                             std::string_view peer_name);

  // Binds a pooled connection to a new owner.
  void Attach(UpstreamOwner* owner);
  // Prepares the parser for the response to the next request; `upgrade`
  // allows a 101 (the request asked to switch protocols). The response
  // head must begin within `response_timeout_ms` of the request (0: the
  // worker's default).
  void ExpectResponse(bool head_request, bool upgrade, uint64_t response_timeout_ms = 0);
  // Sends bytes to the backend: what the socket does not take at once (or
  // everything, before the connection is up) is copied and queued.
  void Write(std::string_view data);
  // The owner is done with this connection: pool it when reusable, else close.
  void Release(bool reusable);
  void Close();
  // Detaches the owner, sends what is queued, then closes (end of a tunnel).
  void CloseAfterWrites();
  // Tunnel half-close: sends what is queued, then FIN; keeps reading and
  // reporting to the owner until the backend closes.
  void ShutdownWrite();

  void PauseReading();
  void ResumeReading();
  size_t write_queue_size() const;
  bool reused() const { return reused_; }
  bool response_started() const { return response_started_; }
  const std::string& key() const { return key_; }

 private:
  enum class TimerRole { kNone, kConnect, kResponse, kIdle };
  UpstreamConnection(Worker* worker, const Endpoint& endpoint);
  static void OnConnect(uv_connect_t* req, int status);
  static void OnWrite(uv_write_t* req, int status);
  static void OnClosed(uv_handle_t* handle);
  static void OnRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);
  static void OnTimer(uv_timer_t* timer);
  void Fail(UpstreamError error);
  void FailTls(std::string_view why, UpstreamError error = UpstreamError::kTlsFailed);
  void HandleEof();
  void FlushPending();
  void StartReading();
  void StartTls();
  void ReadTls(const char* data, size_t len);
  void OnEstablished();
  // Sends bytes to the socket (encrypted first over TLS); false after a
  // failure (the connection is failing).
  bool Send(std::string data);
  bool SendRaw(std::string data);
  void SendCloseNotify();
  void Execute(const char* data, size_t len);
  void StartTimer(TimerRole role, uint64_t ms);

  static int OnStatus(llhttp_t* p, const char* at, size_t len);
  static int OnHeaderField(llhttp_t* p, const char* at, size_t len);
  static int OnHeaderValue(llhttp_t* p, const char* at, size_t len);
  static int OnHeaderValueComplete(llhttp_t* p);
  static int OnHeadersComplete(llhttp_t* p);
  static int OnBody(llhttp_t* p, const char* at, size_t len);
  static int OnMessageComplete(llhttp_t* p);
  static const llhttp_settings_t& Settings();

  Worker* worker_;
  UpstreamOwner* owner_ = nullptr;
  std::string key_;
  // TLS (scheme https): the context until the handshake is checked, the
  // name presented, then the TLS layer of the connection.
  std::shared_ptr<const UpstreamTlsContext> tls_context_;
  std::string peer_name_;
  TlsSessionTarget tls_sessions_;  // the SSL below points here: keep before tls_
  std::unique_ptr<TlsConnection> tls_;
  SSL* tls_ssl_ = nullptr;  // the SSL inside tls_
  uv_tcp_t tcp_{};
  uv_connect_t connect_req_{};
  DeadlineTimer<&UpstreamConnection::OnTimer> timer_;
  int open_handles_ = 0;
  llhttp_t parser_{};
  HeadScanner scanner_{HeadScanner::Kind::kResponse};
  ResponseHead head_;
  HeaderCollector headers_;
  bool head_request_ = false;
  bool upgrade_allowed_ = false;
  bool informational_ = false;  // a 1xx ended; the final response follows
  bool tunnel_ = false;         // switched protocols: no more HTTP here
  bool write_shut_ = false;     // FIN sent (or being sent) to the backend
  bool connected_ = false;
  bool closing_ = false;
  bool reused_ = false;
  bool response_started_ = false;
  bool reading_paused_ = false;
  TimerRole timer_role_ = TimerRole::kNone;
  uint64_t response_timeout_ms_ = 0;
  std::string pending_;  // bytes written before the connection was up
  uv_shutdown_t shutdown_req_{};
};

}  // namespace portico::dataplane
