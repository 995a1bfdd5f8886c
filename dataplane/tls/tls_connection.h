// TlsConnection: the TLS layer of one accepted connection. It turns the
// bytes read from the socket into plaintext for the HTTP code and the
// plaintext the HTTP code writes into bytes for the socket; it never touches
// the socket itself (the caller reads and writes), so HTTP code only ever
// sees plaintext. The SSL reads from and writes to the caller's buffers
// through a custom BIO: no copy into a memory BIO. Loop thread only.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "dataplane/tls/openssl_handles.h"
#include "dataplane/tls/tls_server_context.h"

namespace portico::dataplane {

class TlsConnection {
 public:
  // `context` is kept until the handshake completes (its callbacks run
  // during the handshake), then released.
  TlsConnection(SslPtr ssl, std::shared_ptr<const TlsServerContext> context);
  ~TlsConnection();
  TlsConnection(const TlsConnection&) = delete;
  TlsConnection& operator=(const TlsConnection&) = delete;

  enum class ReadStatus {
    kWantMore,  // everything given was consumed
    kClosed,    // the client sent close_notify
    kFailed,    // handshake failure or a corrupt record: close the connection
    kStopped,   // the sink asked to stop (the connection is closing)
  };

  // Feeds bytes read from the socket. Plaintext goes to
  // sink(const char*, size_t) -> bool (false: stop); bytes the TLS layer
  // must send (handshake, tickets, alerts) are appended to *out.
  template <typename Sink>
  ReadStatus Read(std::string_view ciphertext, std::string* out, Sink&& sink) {
    Begin(ciphertext, out);
    for (;;) {
      size_t n = 0;
      ReadStatus status = ReadSome(&n);
      if (n > 0 && !sink(plaintext_buffer(), n)) return End(ReadStatus::kStopped);
      if (n == 0) return End(status);
    }
  }

  // Encrypts `plaintext` into *out. False on failure (close the connection).
  // May be called from a Read sink (a response to what was just read).
  bool Write(std::string_view plaintext, std::string* out);
  // Appends a close_notify alert to *out.
  void Shutdown(std::string* out);

  bool handshake_done() const { return handshake_done_; }
  // After Read returned kFailed: OpenSSL's error code for why (the thread's
  // error queue is cleared before Read returns), 0 when it gave none. A
  // received alert is SSL_AD_REASON_OFFSET + its code as the reason.
  unsigned long failure() const { return failure_; }
  // After the handshake: the negotiated protocol ("http/1.1"), or "".
  std::string_view alpn() const;

  // Largest plaintext one ReadSome hands to the sink.
  static constexpr size_t kPlaintextChunk = 16 * 1024;

 private:
  void Begin(std::string_view ciphertext, std::string* out);
  ReadStatus End(ReadStatus status);
  // One step: handshake or one SSL_read into the plaintext buffer. *n is
  // the plaintext produced (0 when nothing more can be done now).
  ReadStatus ReadSome(size_t* n);
  static char* plaintext_buffer();

  static int BioRead(BIO* bio, char* data, int len);
  static int BioWrite(BIO* bio, const char* data, int len);
  static long BioCtrl(BIO* bio, int cmd, long num, void* ptr);
  static BIO_METHOD* Method();

  SslPtr ssl_;
  std::shared_ptr<const TlsServerContext> context_;
  std::string_view in_;         // ciphertext not yet taken by the SSL (during Read)
  std::string* out_ = nullptr;  // where the SSL's output goes (during a call)
  bool handshake_done_ = false;
  unsigned long failure_ = 0;
};

}  // namespace portico::dataplane
