#include "dataplane/upstream/health_probe.h"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace portico::dataplane {
namespace {

HealthProbe* Self(llhttp_t* p) { return static_cast<HealthProbe*>(p->data); }

std::string ConnectError(int status) {
  if (status == UV_ECONNREFUSED) return "connect refused";
  return absl::StrCat("connect: ", uv_strerror(status));
}

std::string ReadError(ssize_t status) {
  if (status == UV_EOF) return "connection closed before the response head";
  if (status == UV_ECONNRESET) return "connection reset";
  return absl::StrCat("read: ", uv_strerror(static_cast<int>(status)));
}

struct WriteRequest {
  uv_write_t req{};
  std::string bytes;
};

void OnWritten(uv_write_t* req, int /*status*/) {
  // A failed write shows up as a read error or the deadline.
  delete reinterpret_cast<WriteRequest*>(req);
}

bool IsIpLiteral(const std::string& name) {
  unsigned char buf[sizeof(in6_addr)];
  return inet_pton(AF_INET, name.c_str(), buf) == 1 || inet_pton(AF_INET6, name.c_str(), buf) == 1;
}

}  // namespace

const llhttp_settings_t& HealthProbe::Settings() {
  static const llhttp_settings_t settings = [] {
    llhttp_settings_t s;
    llhttp_settings_init(&s);
    s.on_header_field = &OnHeaderField;
    s.on_header_value = &OnHeaderValue;
    s.on_header_value_complete = &OnHeaderValueComplete;
    s.on_headers_complete = &OnHeadersComplete;
    return s;
  }();
  return settings;
}

HealthProbe::HealthProbe(ProbeRequest request, Done done)
    : request_(std::move(request)), done_(std::move(done)) {
  llhttp_init(&parser_, HTTP_RESPONSE, &Settings());
  parser_.data = this;
}

HealthProbe::~HealthProbe() {
  if (ssl_ != nullptr) SSL_free(ssl_);
}

HealthProbe* HealthProbe::Start(uv_loop_t* loop, ProbeRequest request, Done done) {
  auto* probe = new HealthProbe(std::move(request), std::move(done));
  uv_tcp_init(loop, &probe->tcp_);
  probe->tcp_.data = probe;
  probe->connect_.data = probe;
  int rc = uv_tcp_connect(&probe->connect_, &probe->tcp_,
                          reinterpret_cast<const sockaddr*>(&probe->request_.address), &OnConnect);
  // Finish reports from the close callback, a later loop turn.
  if (rc != 0) probe->Finish({.error = ConnectError(rc)});
  return probe;
}

void HealthProbe::Abort() {
  done_ = nullptr;
  Finish({});
}

void HealthProbe::Finish(ProbeResult result) {
  if (finished_) return;
  finished_ = true;
  result_ = std::move(result);
  uv_close(reinterpret_cast<uv_handle_t*>(&tcp_), &OnClosed);
}

void HealthProbe::OnClosed(uv_handle_t* handle) {
  auto* self = static_cast<HealthProbe*>(handle->data);
  Done done = std::move(self->done_);
  ProbeResult result = std::move(self->result_);
  delete self;
  if (done) done(std::move(result));
}

void HealthProbe::OnConnect(uv_connect_t* req, int status) {
  auto* self = static_cast<HealthProbe*>(req->data);
  if (self->finished_) return;  // aborted while connecting
  if (status < 0) return self->Finish({.error = ConnectError(status)});
  uv_read_start(reinterpret_cast<uv_stream_t*>(&self->tcp_), &OnAlloc, &OnRead);
  if (self->request_.tls == nullptr) return self->Write(std::move(self->request_.bytes));
  if (!self->StartTls()) return self->Finish({.error = "tls: cannot create a session"});
  self->DriveTls();
}

void HealthProbe::OnAlloc(uv_handle_t* handle, size_t /*suggested*/, uv_buf_t* buf) {
  auto* self = static_cast<HealthProbe*>(handle->data);
  *buf = uv_buf_init(self->read_buffer_, sizeof self->read_buffer_);
}

void HealthProbe::OnRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
  auto* self = static_cast<HealthProbe*>(stream->data);
  if (self->finished_ || nread == 0) return;
  if (nread < 0) return self->Finish({.error = ReadError(nread)});
  if (self->ssl_ == nullptr) return self->Parse(buf->base, static_cast<size_t>(nread));
  BIO_write(self->network_in_, buf->base, static_cast<int>(nread));
  self->DriveTls();
}

void HealthProbe::Write(std::string bytes) {
  if (bytes.empty()) return;
  auto* w = new WriteRequest{.bytes = std::move(bytes)};
  uv_buf_t buf = uv_buf_init(w->bytes.data(), static_cast<unsigned>(w->bytes.size()));
  if (uv_write(&w->req, reinterpret_cast<uv_stream_t*>(&tcp_), &buf, 1, &OnWritten) != 0) {
    delete w;
    Finish({.error = "write failed"});
  }
}

bool HealthProbe::StartTls() {
  ssl_ = SSL_new(request_.tls);
  if (ssl_ == nullptr) return false;
  network_in_ = BIO_new(BIO_s_mem());
  network_out_ = BIO_new(BIO_s_mem());
  if (network_in_ == nullptr || network_out_ == nullptr) {
    BIO_free(network_in_);
    BIO_free(network_out_);
    network_in_ = network_out_ = nullptr;
    return false;
  }
  BIO_set_mem_eof_return(network_in_, -1);  // empty means "wait", not EOF
  SSL_set_bio(ssl_, network_in_, network_out_);
  SSL_set_connect_state(ssl_);
  const std::string& name = request_.tls_name;
  if (IsIpLiteral(name)) {
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_), name.c_str());
  } else {
    SSL_set_tlsext_host_name(ssl_, name.c_str());
    SSL_set1_host(ssl_, name.c_str());
  }
  return true;
}

// Handshake, then the request, then decrypt whatever arrived.
void HealthProbe::DriveTls() {
  ERR_clear_error();
  if (!handshake_done_) {
    int rc = SSL_do_handshake(ssl_);
    if (rc != 1) {
      int err = SSL_get_error(ssl_, rc);
      FlushTls();
      if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE) {
        Finish({.error = TlsError(err)});
      }
      return;
    }
    handshake_done_ = true;
    const std::string& bytes = request_.bytes;
    if (SSL_write(ssl_, bytes.data(), static_cast<int>(bytes.size())) <= 0) {
      return Finish({.error = TlsError(SSL_ERROR_SSL)});
    }
  }
  FlushTls();
  char plain[4096];
  while (!finished_) {
    int n = SSL_read(ssl_, plain, sizeof plain);
    if (n > 0) {
      Parse(plain, static_cast<size_t>(n));
      continue;
    }
    int err = SSL_get_error(ssl_, n);
    if (err == SSL_ERROR_WANT_READ) break;
    if (err == SSL_ERROR_ZERO_RETURN) {
      Finish({.error = "connection closed before the response head"});
    } else {
      Finish({.error = TlsError(err)});
    }
  }
  FlushTls();
}

std::string HealthProbe::TlsError(int ssl_error) const {
  long verify = SSL_get_verify_result(ssl_);
  if (verify != X509_V_OK) {
    return absl::StrCat("tls: certificate verify failed: ", X509_verify_cert_error_string(verify));
  }
  unsigned long code = ERR_peek_error();
  if (code != 0) return absl::StrCat("tls: ", ERR_reason_error_string(code));
  return absl::StrCat("tls: error ", ssl_error);
}

void HealthProbe::FlushTls() {
  char* data = nullptr;
  long len = BIO_get_mem_data(network_out_, &data);
  if (len <= 0 || finished_) return;
  Write(std::string(data, static_cast<size_t>(len)));
  (void)BIO_reset(network_out_);
}

void HealthProbe::Parse(const char* data, size_t len) {
  size_t room = kMaxHead - head_bytes_;
  size_t feed = len < room ? len : room;
  head_bytes_ += feed;
  llhttp_errno_t rc = llhttp_execute(&parser_, data, feed);
  if (head_done_) {
    return Finish({.answered = true, .status = parser_.status_code, .location = result_.location});
  }
  if (rc != HPE_OK) {
    return Finish({.error = absl::StrCat("invalid response: ", llhttp_get_error_reason(&parser_))});
  }
  if (head_bytes_ >= kMaxHead) Finish({.error = "response head over 16 KiB"});
}

int HealthProbe::OnHeaderField(llhttp_t* p, const char* at, size_t len) {
  Self(p)->field_.append(at, len);
  return 0;
}

int HealthProbe::OnHeaderValue(llhttp_t* p, const char* at, size_t len) {
  Self(p)->value_.append(at, len);
  return 0;
}

int HealthProbe::OnHeaderValueComplete(llhttp_t* p) {
  HealthProbe* self = Self(p);
  if (absl::EqualsIgnoreCase(self->field_, "location")) self->result_.location = self->value_;
  self->field_.clear();
  self->value_.clear();
  return 0;
}

int HealthProbe::OnHeadersComplete(llhttp_t* p) {
  // An interim 1xx is not the answer (as Go's client, Traefik's): read on.
  if (p->status_code >= 100 && p->status_code < 200 && p->status_code != 101) {
    Self(p)->result_.location.clear();
    return 0;
  }
  Self(p)->head_done_ = true;
  return HPE_PAUSED;
}

}  // namespace portico::dataplane
