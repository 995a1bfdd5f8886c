// TLS below HTTP: the first byte tells TLS from plaintext; a ClientHello is
// read whole (SNI known before any handshake) to pick the certificate, then
// reads are decrypted into plaintext for the HTTP code and its writes are
// encrypted. The HTTP code never sees a TLS byte.
#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "dataplane/http/downstream_connection.h"
#include "dataplane/http/downstream_internal.h"
#include "dataplane/net/string_write.h"
#include "dataplane/tls/client_hello.h"
#include "dataplane/worker/worker.h"

namespace portico::dataplane {

using namespace downstream;  // NOLINT: this class's own constants and helpers

namespace {

// Encrypted bytes on their way to a socket. One per worker thread, and
// empty whenever control is outside this file's functions, so records of
// two connections never mix and records go out in the order they were made.
std::string& TlsOutput() {
  static thread_local std::string output;
  return output;
}

}  // namespace

void DownstreamConnection::ReadTls(const char* data, size_t len) {
  if (transport_ == Transport::kSniff) {
    if (!LooksLikeTls(data[0])) {
      transport_ = Transport::kPlain;  // plaintext from here on, no TLS cost
      OnClientBytes(data, len);
      return;
    }
    transport_ = Transport::kTls;
    tls_ = std::make_unique<TlsState>();
  }
  if (tls_->connection == nullptr) {
    StartTls(data, len);
  } else {
    FeedTls(std::string_view(data, len));
  }
}

// Waits for the whole ClientHello (copying only when it spans reads), then
// creates the TLS layer with the certificate chosen for it.
void DownstreamConnection::StartTls(const char* data, size_t len) {
  std::string_view bytes(data, len);
  if (!tls_->hello.empty()) {
    tls_->hello.append(data, len);
    bytes = tls_->hello;
  }
  ClientHello hello;
  std::string why;
  switch (ParseClientHello(bytes, &hello, &why)) {
    case HelloStatus::kIncomplete:
      if (tls_->hello.empty()) tls_->hello.assign(data, len);
      return;
    case HelloStatus::kInvalid:
      LogDebug("proxy", absl::StrCat("closing TLS connection from ", client_ip_, ": ", why));
      Close();  // only this connection
      return;
    case HelloStatus::kComplete:
      break;
  }
  const std::shared_ptr<const RuntimeConfig>& config = worker_->config();
  std::shared_ptr<const TlsServerContext> context =
      config != nullptr ? config->tls().ForServerName(hello.server_name) : BootstrapTlsContext();
  SslPtr ssl = context->NewSsl(hello);
  if (ssl == nullptr) {
    Close();
    return;
  }
  tls_->server_name = std::move(hello.server_name);
  tls_->connection = std::make_unique<TlsConnection>(std::move(ssl), std::move(context));
  std::string held = std::move(tls_->hello);
  FeedTls(held.empty() ? std::string_view(data, len) : std::string_view(held));
}

void DownstreamConnection::FeedTls(std::string_view ciphertext) {
  std::string& output = TlsOutput();
  TlsConnection::ReadStatus status =
      tls_->connection->Read(ciphertext, &output, [this](const char* plaintext, size_t n) {
        // What the TLS layer produced so far goes out before any answer.
        if (FlushTlsOutput() < 0) return false;
        OnClientBytes(plaintext, n);
        return !closing_ && !lingering_;
      });
  if (closing_) {
    output.clear();
    return;
  }
  if (FlushTlsOutput() < 0) return;
  switch (status) {
    case TlsConnection::ReadStatus::kWantMore:
    case TlsConnection::ReadStatus::kStopped:
      break;
    case TlsConnection::ReadStatus::kClosed:
      OnClientEnd(UV_EOF);  // close_notify: as the end of a plaintext stream
      break;
    case TlsConnection::ReadStatus::kFailed:
      LogDebug("proxy", absl::StrCat("TLS failure with ", client_ip_, ": closing"));
      Close();
      break;
  }
}

// Sends what the TLS layer has produced; WriteBytes's result, or 0. The
// handshake's flights count as writes for TCP_NODELAY: without it the
// first response of a connection waited behind the unacknowledged session
// tickets for the client's delayed ACK (13 ms a connection on loopback).
int DownstreamConnection::FlushTlsOutput() {
  std::string& output = TlsOutput();
  if (output.empty()) return 0;
  BeforeWrite();
  int rc = WriteBytes(reinterpret_cast<uv_stream_t*>(&tcp_), output, this, &OnWrite);
  AfterWrite(rc);
  output.clear();
  if (rc < 0) Close();
  return rc;
}

// The TLS counterpart of WriteBytes/WriteTwo: encrypts and sends in one write.
int DownstreamConnection::WriteTls(std::string_view first, std::string_view second) {
  std::string& output = TlsOutput();
  if (tls_->connection == nullptr || !tls_->connection->Write(first, &output) ||
      !tls_->connection->Write(second, &output)) {
    output.clear();
    return -1;
  }
  int rc = WriteBytes(reinterpret_cast<uv_stream_t*>(&tcp_), output, this, &OnWrite);
  output.clear();
  return rc;
}

// Traefik's domain-fronting check: a TLS request whose Host is not its
// server name is misdirected when the two would use different TLS options,
// or when either option is sniStrict. Uses the request's config.
bool DownstreamConnection::Misdirected(std::string_view host) const {
  if (tls_ == nullptr || ex_->config == nullptr) return false;
  std::string_view server_name = tls_->server_name;
  if (host.ends_with('.')) host.remove_suffix(1);
  if (host == server_name) return false;
  const TlsContextTable& table = ex_->config->tls();
  const TlsServerContext& by_name = *table.ForServerName(server_name);
  const TlsServerContext& by_host = *table.ForServerName(host);
  return &by_name != &by_host || by_name.sni_strict() || by_host.sni_strict();
}

void DownstreamConnection::SendCloseNotify() {
  if (tls_->connection == nullptr) return;
  tls_->connection->Shutdown(&TlsOutput());
  FlushTlsOutput();
}

}  // namespace portico::dataplane
