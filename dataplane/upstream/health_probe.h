// HealthProbe: one attempt of an active health check on the prober's loop:
// TCP connect, TLS when asked, the request, then the response head parsed
// with llhttp (capped at kMaxHead bytes; the body is never read). The
// caller owns the deadline. Completion is reported once, always from a later
// loop turn than Start, and never after Abort. Prober loop thread only.
#pragma once

#include <llhttp.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <uv.h>

#include <functional>
#include <string>

namespace portico::dataplane {

struct ProbeResult {
  bool answered = false;  // a complete response head arrived
  int status = 0;
  std::string location;  // its Location header, "" if none
  std::string error;     // when !answered: "connect refused", "connection reset", ...
};

struct ProbeRequest {
  sockaddr_storage address{};  // with the port to connect to
  std::string bytes;           // the request head to send
  SSL_CTX* tls = nullptr;      // set: https, the context outlives the probe
  std::string tls_name;        // SNI and the name (or IP) the certificate must match
};

class HealthProbe {
 public:
  using Done = std::function<void(ProbeResult)>;
  static constexpr size_t kMaxHead = 16 * 1024;

  // The probe frees itself after reporting (or after Abort).
  static HealthProbe* Start(uv_loop_t* loop, ProbeRequest request, Done done);
  // Stops the attempt; `done` is not called.
  void Abort();

 private:
  HealthProbe(ProbeRequest request, Done done);
  ~HealthProbe();

  static void OnConnect(uv_connect_t* req, int status);
  static void OnAlloc(uv_handle_t* handle, size_t suggested, uv_buf_t* buf);
  static void OnRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);
  static void OnClosed(uv_handle_t* handle);

  bool StartTls();
  void DriveTls();
  std::string TlsError(int ssl_error) const;
  void FlushTls();
  void Write(std::string bytes);
  void Parse(const char* data, size_t len);
  void Finish(ProbeResult result);

  static int OnHeaderField(llhttp_t* p, const char* at, size_t len);
  static int OnHeaderValue(llhttp_t* p, const char* at, size_t len);
  static int OnHeaderValueComplete(llhttp_t* p);
  static int OnHeadersComplete(llhttp_t* p);
  static const llhttp_settings_t& Settings();

  uv_tcp_t tcp_{};
  uv_connect_t connect_{};
  ProbeRequest request_;
  Done done_;
  bool finished_ = false;
  ProbeResult result_;

  llhttp_t parser_{};
  size_t head_bytes_ = 0;
  bool head_done_ = false;
  std::string field_, value_;

  SSL* ssl_ = nullptr;
  BIO* network_in_ = nullptr;   // ciphertext read from the socket, owned by ssl_
  BIO* network_out_ = nullptr;  // ciphertext to write, owned by ssl_
  bool handshake_done_ = false;

  char read_buffer_[16 * 1024];
};

}  // namespace portico::dataplane
