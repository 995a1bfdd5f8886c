#include "dataplane/tls/tls_connection.h"

#include <openssl/err.h>

#include <algorithm>
#include <cstring>

namespace portico::dataplane {

TlsConnection::TlsConnection(SslPtr ssl, std::shared_ptr<const TlsServerContext> context)
    : ssl_(std::move(ssl)), context_(std::move(context)) {
  BIO* bio = BIO_new(Method());
  BIO_set_data(bio, this);
  BIO_set_init(bio, 1);
  SSL_set_bio(ssl_.get(), bio, bio);  // one reference, owned by the SSL
}

TlsConnection::~TlsConnection() = default;

BIO_METHOD* TlsConnection::Method() {
  static BIO_METHOD* const method = [] {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "portico-tls");
    BIO_meth_set_read(m, &BioRead);
    BIO_meth_set_write(m, &BioWrite);
    BIO_meth_set_ctrl(m, &BioCtrl);
    return m;
  }();
  return method;
}

int TlsConnection::BioRead(BIO* bio, char* data, int len) {
  auto* self = static_cast<TlsConnection*>(BIO_get_data(bio));
  BIO_clear_retry_flags(bio);
  if (self->in_.empty()) {
    BIO_set_retry_read(bio);
    return -1;
  }
  size_t n = std::min(static_cast<size_t>(len), self->in_.size());
  std::memcpy(data, self->in_.data(), n);
  self->in_.remove_prefix(n);
  return static_cast<int>(n);
}

int TlsConnection::BioWrite(BIO* bio, const char* data, int len) {
  auto* self = static_cast<TlsConnection*>(BIO_get_data(bio));
  BIO_clear_retry_flags(bio);
  if (self->out_ == nullptr) {
    BIO_set_retry_write(bio);  // not inside a call: cannot happen with OpenSSL's server
    return -1;
  }
  self->out_->append(data, static_cast<size_t>(len));
  return len;
}

long TlsConnection::BioCtrl(BIO*, int cmd, long, void*) {
  return cmd == BIO_CTRL_FLUSH ? 1 : 0;  // output is flushed by the caller
}

char* TlsConnection::plaintext_buffer() {
  // One per thread: plaintext is handed to the sink before the next read.
  static thread_local char buffer[kPlaintextChunk];
  return buffer;
}

void TlsConnection::Begin(std::string_view ciphertext, std::string* out) {
  ERR_clear_error();  // SSL_get_error reads the thread's error queue
  in_ = ciphertext;
  out_ = out;
}

TlsConnection::ReadStatus TlsConnection::End(ReadStatus status) {
  in_ = {};
  out_ = nullptr;
  if (status == ReadStatus::kFailed) {
    failure_ = ERR_peek_last_error();
    ERR_clear_error();
  }
  return status;
}

TlsConnection::ReadStatus TlsConnection::ReadSome(size_t* n) {
  *n = 0;
  SSL* ssl = ssl_.get();
  if (!handshake_done_) {
    int rc = SSL_do_handshake(ssl);
    if (rc != 1) {
      return SSL_get_error(ssl, rc) == SSL_ERROR_WANT_READ ? ReadStatus::kWantMore
                                                           : ReadStatus::kFailed;
    }
    handshake_done_ = true;
    context_.reset();  // its callbacks are done with; an old config may go
  }
  int rc = SSL_read(ssl, plaintext_buffer(), static_cast<int>(kPlaintextChunk));
  if (rc > 0) {
    *n = static_cast<size_t>(rc);
    return ReadStatus::kWantMore;
  }
  switch (SSL_get_error(ssl, rc)) {
    case SSL_ERROR_WANT_READ:
      return ReadStatus::kWantMore;
    case SSL_ERROR_ZERO_RETURN:
      return ReadStatus::kClosed;
    default:
      return ReadStatus::kFailed;
  }
}

bool TlsConnection::Write(std::string_view plaintext, std::string* out) {
  if (plaintext.empty()) return true;
  if (!handshake_done_) return false;
  ERR_clear_error();
  std::string* outer = out_;  // set when called from a sink inside Read
  out_ = out;
  int rc = SSL_write(ssl_.get(), plaintext.data(), static_cast<int>(plaintext.size()));
  out_ = outer;
  if (rc == static_cast<int>(plaintext.size())) return true;
  ERR_clear_error();
  return false;
}

void TlsConnection::Shutdown(std::string* out) {
  if (!handshake_done_) return;
  ERR_clear_error();
  std::string* outer = out_;
  out_ = out;
  SSL_shutdown(ssl_.get());
  out_ = outer;
  ERR_clear_error();
}

std::string_view TlsConnection::alpn() const {
  const unsigned char* protocol = nullptr;
  unsigned int length = 0;
  SSL_get0_alpn_selected(ssl_.get(), &protocol, &length);
  return std::string_view(reinterpret_cast<const char*>(protocol), length);
}

}  // namespace portico::dataplane
