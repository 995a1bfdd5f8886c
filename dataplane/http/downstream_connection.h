// DownstreamConnection: one accepted client connection and the proxying of
// its requests, one at a time and in order (pipelined requests wait, parsed
// but unanswered, until the response before them is complete). Phases of a
// request: read head → route → pick endpoint → forward request → stream
// response → keep alive or close; an upgrade request answered with 101
// turns the connection into a tunnel to its upstream connection. Loop
// thread only; freed in its close callback. Implemented in five files, one
// concept each: downstream_connection.cc (accept, read, timers, close),
// downstream_tls.cc (TLS below HTTP: the ClientHello peek, decrypting reads,
// encrypting writes), downstream_parse.cc (reading requests),
// downstream_exchange.cc (proxying an exchange, tunnels),
// downstream_output.cc (writing to the client).
#pragma once

#include <llhttp.h>
#include <uv.h>

#include <memory>
#include <string>
#include <vector>

#include "dataplane/config/runtime_config.h"
#include "dataplane/http/exchange.h"
#include "dataplane/http/head_codec.h"
#include "dataplane/http/head_scanner.h"
#include "dataplane/http/message.h"
#include "dataplane/http/upstream_connection.h"
#include "dataplane/net/deadline_timer.h"

namespace portico::dataplane {

class Worker;
struct EntrypointListener;
namespace downstream {
struct TlsState;
}

class DownstreamConnection final : public UpstreamOwner {
 public:
  // Accepts a pending connection on `listener`.
  static void Accept(Worker* worker, EntrypointListener* entrypoint, uv_stream_t* listener);
  // Takes over a client socket the TCP router read from and did not route
  // (TcpConnection): `fd` (owned from here on), the bytes already read, and
  // whether it holds one of the entrypoint's connection slots.
  static void Adopt(Worker* worker, EntrypointListener* entrypoint, int fd,
                    std::string_view peeked, bool counted);

  // Called by the worker when draining: close now if idle, else after the
  // current response.
  void Drain();
  void Close();

  // Reports from the UpstreamConnection serving the current request.
  void OnUpstreamHead(const ResponseHead& head) override;
  void OnUpstreamBody(const char* data, size_t len) override;
  void OnUpstreamComplete(bool reusable, const HeaderList& trailers) override;
  void OnUpstreamUpgraded() override;
  void OnUpstreamTunnelEnd() override;
  void OnUpstreamFailed(UpstreamError error, bool reused) override;
  void OnUpstreamWritable() override;
  // While corked, writes to the client gather in one buffer; Uncork sends it
  // in one write. The upstream connection corks around each read it parses.
  void Cork() override;
  void Uncork() override;

 private:
  enum class TimerRole { kNone, kHead, kResume, kLinger, kTunnelIdle, kWriteStall, kExchange };
  enum class Phase {
    kIdle,         // waiting for a request (keep-alive)
    kReadingHead,  // some bytes of a head have arrived
    kProxying,     // request forwarded, response not complete
    kResponding,   // a local response (error) is being written
    kTunnel,       // switched protocols: bytes pass both ways unparsed
  };

  // How the client's bytes reach the HTTP code: as read, or through TLS.
  // kSniff until the first byte tells (entrypoints with TLS on).
  enum class Transport : uint8_t { kPlain, kSniff, kTls };

  DownstreamConnection(Worker* worker, EntrypointListener* entrypoint);
  ~DownstreamConnection();
  void Begin();  // accepted: start reading and the head timer
  static void OnRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);
  static void OnWrite(uv_write_t* req, int status);
  static void OnTimer(uv_timer_t* timer);
  static void OnClosed(uv_handle_t* handle);

  void OnClientBytes(const char* data, size_t len);  // plaintext from the client
  void OnClientEnd(ssize_t nread);                   // EOF or a read error
  void ReadTls(const char* data, size_t len);
  void StartTls(const char* data, size_t len);
  void FeedTls(std::string_view ciphertext);
  int WriteTls(std::string_view first, std::string_view second);
  int FlushTlsOutput();
  void SendCloseNotify();
  bool Misdirected(std::string_view host) const;  // 421: Host vs SNI (downstream_tls.cc)
  void Parse(const char* data, size_t len);
  void ParseBuffered(const char* data, size_t len);
  void FlushToClient();
  void BeforeWrite();
  void AfterWrite(int rc);
  void SetNoDelay();
  void StartRequest();
  bool ConnectUpstream();
  void SendMirrors();
  // Reports the current attempt's outcome to the picker (once).
  void EndAttempt(PickOutcome outcome);
  // Whether a failed attempt may be tried again elsewhere; *backoff_ms: after how long.
  bool RetryAllowed(UpstreamError error, bool stale, uint64_t* backoff_ms);
  void Retry();
  void ArmExchangeTimer();
  void OnExchangeTimer();
  void SendBodyToUpstream(const char* data, size_t len);
  void FinishRequestBody();
  void RespondLocally(int status, std::string_view body);
  void RefuseMalformed(std::string_view why);
  void FinishExchange(bool keep_alive);
  void ResumeParsing();
  void WriteToClient(std::string_view data);
  // The buffer to serialize client output into; ClientOutDone sends it (or
  // leaves it to the enclosing Uncork).
  std::string* ClientOut();
  void ClientOutDone();
  ForwardingInfo Forwarding() const;
  void FlushUpstream();
  void SendBodyToUpstream(std::string_view framing_before, std::string_view data,
                          std::string_view framing_after);
  void CloseAfterWrites();
  void PauseReading();
  void ResumeReading();
  void ArmTimer(TimerRole role, uint64_t ms);
  void TunnelFromClient(const char* data, size_t len);
  void OnTunnelTimer();
  void Count(int status);

  static int OnMessageBegin(llhttp_t* p);
  static int OnUrl(llhttp_t* p, const char* at, size_t len);
  static int OnHeaderField(llhttp_t* p, const char* at, size_t len);
  static int OnHeaderValue(llhttp_t* p, const char* at, size_t len);
  static int OnHeaderValueComplete(llhttp_t* p);
  static int OnHeadersComplete(llhttp_t* p);
  static int OnBody(llhttp_t* p, const char* at, size_t len);
  static int OnMessageComplete(llhttp_t* p);
  static const llhttp_settings_t& Settings();
  int CheckHeadLimits();
  int CompleteHead();

  Worker* worker_;
  EntrypointListener* entrypoint_;
  uv_tcp_t tcp_{};
  DeadlineTimer<&DownstreamConnection::OnTimer> timer_;
  int open_handles_ = 0;
  std::string client_ip_;
  sockaddr_storage peer_{};  // AF_UNSPEC when unknown; ClientIP rules look at it
  bool trusted_peer_ = false;      // in the entrypoint's trusted IPs
  bool counted_ = false;           // holds one of the entrypoint's connection slots
  uint64_t last_activity_ms_ = 0;  // tunnel: loop time of the last byte either way
  Transport transport_ = Transport::kPlain;
  std::unique_ptr<downstream::TlsState> tls_;  // set once a ClientHello began
  llhttp_t parser_{};
  HeadScanner scanner_{HeadScanner::Kind::kRequest};
  Phase phase_ = Phase::kIdle;
  bool closing_ = false;
  bool close_after_response_ = false;
  bool reading_paused_ = true;  // not reading until Accept starts it
  bool client_eof_ = false;     // the client half-closed after a whole request
  bool lingering_ = false;      // closing: reads are discarded until the client's EOF
  bool parsing_ = false;        // inside Parse: upstream writes are gathered
  int cork_depth_ = 0;
  bool wrote_ = false;         // something was written to the client
  bool nodelay_ = false;       // TCP_NODELAY set (from the second write on)
  bool parse_paused_ = false;  // llhttp stopped after a complete request
  std::string unparsed_;       // pipelined bytes received while paused

  // The exchange in progress (null between requests).
  std::unique_ptr<Exchange> ex_;
  bool request_complete_ = false;
  bool response_complete_ = false;
  bool response_keep_alive_ = true;
  bool response_chunked_ = false;  // the proxy re-chunks the body to the client
  int response_status_ = 0;
  UpstreamConnection* upstream_ = nullptr;
  TimerRole timer_role_ = TimerRole::kNone;
  bool shutting_down_ = false;
};

}  // namespace portico::dataplane
