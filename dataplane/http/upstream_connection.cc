#include "dataplane/http/upstream_connection.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "dataplane/config/runtime_config.h"
#include "dataplane/net/string_write.h"
#include "dataplane/worker/worker.h"

namespace portico::dataplane {
namespace {

UpstreamConnection* Self(llhttp_t* p) { return static_cast<UpstreamConnection*>(p->data); }

}  // namespace

const llhttp_settings_t& UpstreamConnection::Settings() {
  static const llhttp_settings_t settings = [] {
    llhttp_settings_t s;
    llhttp_settings_init(&s);
    s.on_status = &OnStatus;
    s.on_header_field = &OnHeaderField;
    s.on_header_value = &OnHeaderValue;
    s.on_header_value_complete = &OnHeaderValueComplete;
    s.on_headers_complete = &OnHeadersComplete;
    s.on_body = &OnBody;
    s.on_message_complete = &OnMessageComplete;
    return s;
  }();
  return settings;
}

UpstreamConnection::UpstreamConnection(Worker* worker, const Endpoint& endpoint)
    : worker_(worker), key_(endpoint.key) {
  uv_tcp_init(worker->loop(), &tcp_);
  timer_.Init(worker->loop(), this);
  open_handles_ = 2;
  tcp_.data = this;
  uv_tcp_nodelay(&tcp_, 1);
  llhttp_init(&parser_, HTTP_RESPONSE, &Settings());
  parser_.data = this;
}

UpstreamConnection* UpstreamConnection::Connect(Worker* worker, const Endpoint& endpoint,
                                                UpstreamOwner* owner,
                                                uint64_t connect_timeout_ms) {
  auto* conn = new UpstreamConnection(worker, endpoint);
  conn->owner_ = owner;
  conn->connect_req_.data = conn;
  int rc = uv_tcp_connect(&conn->connect_req_, &conn->tcp_,
                          reinterpret_cast<const sockaddr*>(&endpoint.address), &OnConnect);
  if (rc != 0) {
    // Report on the next loop turn: never call back from inside the call
    // that started the operation.
    conn->StartTimer(TimerRole::kConnect, 0);
    return conn;
  }
  conn->StartTimer(TimerRole::kConnect, connect_timeout_ms != 0
                                             ? connect_timeout_ms
                                             : worker->limits().connect_timeout_ms);
  return conn;
}

std::string UpstreamConnection::PoolKey(const Endpoint& endpoint, const UpstreamTlsContext* tls,
                                        std::string_view peer_name) {
  if (tls == nullptr) return endpoint.key;
  return absl::StrCat(endpoint.key, " tls#", tls->id(), " ", std::string(peer_name));
}

UpstreamConnection* UpstreamConnection::Acquire(Worker* worker, const Endpoint& endpoint,
                                                const UpstreamTlsContext* tls,
                                                std::string_view host, UpstreamOwner* owner,
                                                uint64_t connect_timeout_ms) {
  if (tls == nullptr) {
    if (UpstreamConnection* pooled = worker->pool().Take(endpoint.key)) {
      pooled->Attach(owner);
      return pooled;
    }
    return Connect(worker, endpoint, owner, connect_timeout_ms);
  }
  std::string_view peer_name = tls->PeerName(host, endpoint.key);
  std::string key = PoolKey(endpoint, tls, peer_name);
  if (UpstreamConnection* pooled = worker->pool().Take(key)) {
    pooled->Attach(owner);
    return pooled;
  }
  // Set before the connect can complete: it completes on a later loop turn.
  UpstreamConnection* conn = Connect(worker, endpoint, owner, connect_timeout_ms);
  conn->key_ = std::move(key);
  conn->tls_context_ = tls->shared_from_this();
  conn->peer_name_ = peer_name;
  return conn;
}

void UpstreamConnection::StartTimer(TimerRole role, uint64_t ms) {
  timer_role_ = role;
  timer_.Arm(ms);
}

void UpstreamConnection::OnTimer(uv_timer_t* timer) {
  auto* self = static_cast<UpstreamConnection*>(timer->data);
  switch (self->timer_role_) {
    case TimerRole::kConnect:
      if (self->tls_ != nullptr) {
        self->FailTls("the handshake did not finish within the connect timeout");
      } else {
        self->Fail(UpstreamError::kConnectFailed);
      }
      break;
    case TimerRole::kResponse:
      self->Fail(UpstreamError::kResponseTimeout);
      break;
    case TimerRole::kIdle:
      self->Close();
      break;
    case TimerRole::kNone:
      break;
  }
}

void UpstreamConnection::OnConnect(uv_connect_t* req, int status) {
  auto* self = static_cast<UpstreamConnection*>(req->data);
  if (self->closing_) return;
  if (status != 0) {
    self->Fail(UpstreamError::kConnectFailed);
    return;
  }
  self->StartReading();
  if (self->tls_context_ != nullptr) {
    self->StartTls();  // up once the handshake is done, within the connect timeout
    return;
  }
  self->OnEstablished();
}

void UpstreamConnection::OnEstablished() {
  connected_ = true;
  StartTimer(TimerRole::kResponse, response_timeout_ms_);
  FlushPending();
}

void UpstreamConnection::StartReading() {
  uv_read_start(
      reinterpret_cast<uv_stream_t*>(&tcp_),
      [](uv_handle_t* h, size_t, uv_buf_t* buf) {
        auto* c = static_cast<UpstreamConnection*>(h->data);
        *buf = uv_buf_init(c->worker_->read_buffer(), Worker::kReadBufferSize);
      },
      &OnRead);
}

void UpstreamConnection::StartTls() {
  tls_sessions_ = {.cache = &worker_->tls_sessions(), .key = key_};
  SslPtr ssl = tls_context_->NewSsl(peer_name_, &tls_sessions_);
  if (ssl == nullptr) {
    FailTls("cannot create a TLS session");
    return;
  }
  tls_ssl_ = ssl.get();  // owned by tls_ from here on
  tls_ = std::make_unique<TlsConnection>(std::move(ssl), nullptr);
  ReadTls(nullptr, 0);  // sends the ClientHello
}

// Feeds what the backend sent through the TLS layer: handshake records
// until it is done and checked, then plaintext to the HTTP parser (or the
// tunnel). What the TLS layer must send goes out at once.
void UpstreamConnection::ReadTls(const char* data, size_t len) {
  bool was_done = tls_->handshake_done();
  bool unexpected = false;
  std::string out;
  UpstreamOwner* owner = owner_;
  if (owner != nullptr) owner->Cork();
  TlsConnection::ReadStatus status = tls_->Read(
      std::string_view(data, len), &out, [&](const char* plaintext, size_t n) {
        // Plaintext before the request or on a pooled connection is a desync.
        if (owner_ == nullptr || !connected_) {
          unexpected = true;
          return false;
        }
        if (tunnel_) {
          owner_->OnUpstreamBody(plaintext, n);
        } else {
          Execute(plaintext, n);
        }
        return !closing_;
      });
  if (!closing_ && !out.empty()) SendRaw(std::move(out));
  if (owner != nullptr) owner->Uncork();
  if (closing_) return;
  if (unexpected) {
    Close();
    return;
  }
  switch (status) {
    case TlsConnection::ReadStatus::kFailed:
      if (!was_done) {
        bool untrusted = false;
        std::string why = tls_context_->HandshakeError(tls_ssl_, tls_->failure(), &untrusted);
        FailTls(why, untrusted ? UpstreamError::kTlsUntrusted : UpstreamError::kTlsFailed);
        return;
      }
      // TLS 1.3 finishes the client's side first: the backend refusing our
      // certificate (or its absence) arrives after the request left, but
      // its HTTP server never saw it. Anything else may follow a request
      // the backend read.
      if (std::string aborted = reused_ || response_started_
                                    ? std::string()
                                    : UpstreamTlsContext::PeerAbortedHandshake(tls_->failure());
          !aborted.empty()) {
        FailTls(aborted);
      } else {
        Fail(UpstreamError::kReset);
      }
      return;
    case TlsConnection::ReadStatus::kClosed:
      HandleEof();
      return;
    case TlsConnection::ReadStatus::kWantMore:
    case TlsConnection::ReadStatus::kStopped:
      break;
  }
  if (was_done || !tls_->handshake_done()) return;
  if (std::string why = tls_context_->CheckPeer(tls_ssl_); !why.empty()) {
    FailTls(why, UpstreamError::kTlsUntrusted);
    return;
  }
  tls_context_.reset();  // its settings are in the SSL now; an old config may go
  OnEstablished();
}

void UpstreamConnection::FailTls(std::string_view why, UpstreamError error) {
  if (closing_) return;
  LogWarn("proxy", absl::StrCat("TLS to backend ", key_, " failed: ", std::string(why)));
  Fail(error);
}

void UpstreamConnection::Attach(UpstreamOwner* owner) {
  owner_ = owner;
  reused_ = true;
  timer_.Disarm();
  timer_role_ = TimerRole::kNone;
}

void UpstreamConnection::ExpectResponse(bool head_request, bool upgrade,
                                        uint64_t response_timeout_ms) {
  response_timeout_ms_ =
      response_timeout_ms != 0 ? response_timeout_ms : worker_->limits().response_timeout_ms;
  head_request_ = head_request;
  upgrade_allowed_ = upgrade;
  response_started_ = false;
  head_.Clear();
  headers_.Target(&head_.headers);
  scanner_.Reset();
  llhttp_init(&parser_, HTTP_RESPONSE, &Settings());
  parser_.data = this;
  if (connected_) StartTimer(TimerRole::kResponse, response_timeout_ms_);
}

void UpstreamConnection::Write(std::string_view data) {
  if (closing_ || data.empty()) return;
  if (!connected_ || !pending_.empty()) {
    pending_.append(data);  // sent once connected, in order behind what waits
    if (connected_) FlushPending();
    return;
  }
  if (tls_ != nullptr) {
    Send(std::string(data));
    return;
  }
  if (WriteBytes(reinterpret_cast<uv_stream_t*>(&tcp_), data, this, &OnWrite) < 0) {
    Fail(UpstreamError::kReset);
  }
}

bool UpstreamConnection::Send(std::string data) {
  if (tls_ == nullptr) return SendRaw(std::move(data));
  std::string records;
  if (!tls_->Write(data, &records)) {
    Fail(UpstreamError::kReset);
    return false;
  }
  return SendRaw(std::move(records));
}

bool UpstreamConnection::SendRaw(std::string data) {
  if (WriteString(reinterpret_cast<uv_stream_t*>(&tcp_), std::move(data), this, &OnWrite) < 0) {
    Fail(UpstreamError::kReset);
    return false;
  }
  return true;
}

void UpstreamConnection::OnWrite(uv_write_t* req, int status) {
  auto* self = FinishStringWrite<UpstreamConnection>(req);
  if (status == UV_ECANCELED || self->closing_) return;
  if (status != 0) {
    self->Fail(UpstreamError::kReset);
    return;
  }
  if (self->owner_ != nullptr && self->write_queue_size() == 0) {
    self->owner_->OnUpstreamWritable();
  }
}

void UpstreamConnection::FlushPending() {
  if (pending_.empty()) return;
  std::string data;
  data.swap(pending_);
  Send(std::move(data));
}

size_t UpstreamConnection::write_queue_size() const {
  return uv_stream_get_write_queue_size(reinterpret_cast<const uv_stream_t*>(&tcp_)) +
         pending_.size();
}

void UpstreamConnection::PauseReading() {
  if (reading_paused_ || !connected_ || closing_) return;
  reading_paused_ = true;
  uv_read_stop(reinterpret_cast<uv_stream_t*>(&tcp_));
}

void UpstreamConnection::ResumeReading() {
  if (!reading_paused_ || closing_) return;
  reading_paused_ = false;
  uv_read_start(
      reinterpret_cast<uv_stream_t*>(&tcp_),
      [](uv_handle_t* h, size_t, uv_buf_t* buf) {
        auto* c = static_cast<UpstreamConnection*>(h->data);
        *buf = uv_buf_init(c->worker_->read_buffer(), Worker::kReadBufferSize);
      },
      &OnRead);
}

void UpstreamConnection::OnRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
  auto* self = static_cast<UpstreamConnection*>(stream->data);
  if (self->closing_ || nread == 0) return;
  if (nread < 0) {
    self->HandleEof();
    return;
  }
  if (self->tls_ != nullptr) {
    // TLS records may come while pooled (session tickets); plaintext may not.
    self->ReadTls(buf->base, static_cast<size_t>(nread));
    return;
  }
  if (self->owner_ == nullptr) {
    // A pooled connection must stay silent: anything it sends is a desync.
    self->Close();
    return;
  }
  // Everything this read produces for the client leaves in one write. The
  // owner outlives this callback even if it closes: it is freed in its
  // close callback, which runs later in the loop.
  UpstreamOwner* owner = self->owner_;
  owner->Cork();
  if (self->tunnel_) {
    owner->OnUpstreamBody(buf->base, static_cast<size_t>(nread));
  } else {
    self->Execute(buf->base, static_cast<size_t>(nread));
  }
  owner->Uncork();
}

void UpstreamConnection::Execute(const char* data, size_t len) {
  while (true) {
    if (scanner_.Feed(data, len) != nullptr) {
      Fail(UpstreamError::kBadResponse);  // never forward a head others may read differently
      return;
    }
    llhttp_errno_t err = llhttp_execute(&parser_, data, len);
    if (closing_ || err == HPE_OK) return;
    if (err != HPE_PAUSED) {
      Fail(UpstreamError::kBadResponse);
      return;
    }
    const char* end = llhttp_get_error_pos(&parser_);
    size_t rest = end == nullptr ? 0 : static_cast<size_t>(data + len - end);
    if (tunnel_) {
      // Switched protocols: what follows the 101 is the new protocol's.
      owner_->OnUpstreamUpgraded();
      if (rest > 0 && !closing_ && owner_ != nullptr) owner_->OnUpstreamBody(end, rest);
      return;
    }
    llhttp_resume(&parser_);
    if (informational_) {
      informational_ = false;  // parse the final response that follows
      data = end;
      len = rest;
      if (len == 0) return;
      continue;
    }
    // The response ended. Bytes after it would be an unsolicited response:
    // the connection can no longer be trusted.
    if (rest > 0) Close();
    return;
  }
}

void UpstreamConnection::HandleEof() {
  if (tls_ != nullptr && !connected_) {
    FailTls("the backend closed the connection during the handshake");
    return;
  }
  if (owner_ == nullptr) {
    Close();
    return;
  }
  if (tunnel_) {
    UpstreamOwner* owner = owner_;
    Close();
    owner->OnUpstreamTunnelEnd();
    return;
  }
  // A response delimited by the end of the connection completes here.
  if (response_started_ && llhttp_message_needs_eof(&parser_)) {
    if (llhttp_finish(&parser_) == HPE_OK && !closing_) return;
  }
  if (!closing_) Fail(UpstreamError::kReset);
}

void UpstreamConnection::Fail(UpstreamError error) {
  if (closing_) return;
  if (error == UpstreamError::kReset && tls_ != nullptr && !reused_ && !response_started_ &&
      UpstreamTlsContext::MissingClientCertificate(tls_ssl_)) {
    // Written off after the handshake: the backend refused to go on without one.
    FailTls("the backend asked for a client certificate and the transport has none",
            UpstreamError::kTlsRefused);
    return;
  }
  UpstreamOwner* owner = owner_;
  bool reused = reused_ && !response_started_;
  owner_ = nullptr;
  Close();
  if (owner != nullptr) owner->OnUpstreamFailed(error, reused);
}

void UpstreamConnection::Release(bool reusable) {
  owner_ = nullptr;
  if (closing_) return;
  if (!reusable || !connected_ || reading_paused_ || write_queue_size() > 0 ||
      worker_->draining()) {
    Close();
    return;
  }
  StartTimer(TimerRole::kIdle, worker_->limits().upstream_idle_timeout_ms);
  worker_->pool().Put(this);
}

void UpstreamConnection::Close() {
  if (closing_) return;
  closing_ = true;
  owner_ = nullptr;
  if (tls_ssl_ != nullptr && connected_) UpstreamTlsContext::KeepSessionResumable(tls_ssl_);
  worker_->pool().Remove(this);
  timer_.Stop();
  uv_close(reinterpret_cast<uv_handle_t*>(&tcp_), &OnClosed);
  uv_close(timer_.handle(), &OnClosed);
}

void UpstreamConnection::ShutdownWrite() {
  if (closing_ || write_shut_) return;
  write_shut_ = true;
  FlushPending();
  SendCloseNotify();
  shutdown_req_.data = this;
  // Reading goes on: the backend may still answer until it closes too.
  if (uv_shutdown(&shutdown_req_, reinterpret_cast<uv_stream_t*>(&tcp_),
                  [](uv_shutdown_t*, int) {}) != 0) {
    Close();
  }
}

void UpstreamConnection::CloseAfterWrites() {
  owner_ = nullptr;
  if (closing_) return;
  if (!connected_ || write_shut_) {
    Close();
    return;
  }
  write_shut_ = true;
  FlushPending();
  SendCloseNotify();
  shutdown_req_.data = this;
  int rc = uv_shutdown(
      &shutdown_req_, reinterpret_cast<uv_stream_t*>(&tcp_),
      [](uv_shutdown_t* req, int) { static_cast<UpstreamConnection*>(req->data)->Close(); });
  if (rc != 0) Close();
}

// TLS: close_notify before the FIN, so the backend sees a clean end of
// the stream rather than a truncation.
void UpstreamConnection::SendCloseNotify() {
  if (tls_ == nullptr || !connected_ || closing_) return;
  std::string out;
  tls_->Shutdown(&out);
  if (!out.empty()) SendRaw(std::move(out));
}

void UpstreamConnection::OnClosed(uv_handle_t* handle) {
  auto* self = static_cast<UpstreamConnection*>(handle->data);
  if (--self->open_handles_ == 0) delete self;
}

int UpstreamConnection::OnStatus(llhttp_t* p, const char* at, size_t len) {
  Self(p)->head_.reason.append(at, len);
  return 0;
}

int UpstreamConnection::OnHeaderField(llhttp_t* p, const char* at, size_t len) {
  Self(p)->headers_.Field(at, len);
  return 0;
}

int UpstreamConnection::OnHeaderValue(llhttp_t* p, const char* at, size_t len) {
  Self(p)->headers_.Value(at, len);
  return 0;
}

int UpstreamConnection::OnHeaderValueComplete(llhttp_t* p) {
  Self(p)->headers_.ValueComplete();
  return 0;
}

int UpstreamConnection::OnHeadersComplete(llhttp_t* p) {
  UpstreamConnection* self = Self(p);
  self->response_started_ = true;
  self->timer_.Disarm();
  self->timer_role_ = TimerRole::kNone;
  ResponseHead& head = self->head_;
  head.status = p->status_code;
  head.http_minor = p->http_minor;
  head.chunked = (p->flags & F_CHUNKED) != 0;
  head.has_content_length = (p->flags & F_CONTENT_LENGTH) != 0;
  self->headers_.Target(&head.trailers);
  if (self->owner_ == nullptr) return -1;
  if (head.status == 101 && !self->upgrade_allowed_) return -1;  // nobody asked to switch
  self->owner_->OnUpstreamHead(head);
  if (self->closing_) return -1;
  // 1 tells llhttp that this response has no body whatever its framing
  // headers say: the answer to HEAD, 204, 304 and interim 1xx (RFC 9112
  // 6.3). llhttp would otherwise wait for the Content-Length of a 304.
  int status = head.status;
  bool no_body = self->head_request_ || status == 204 || status == 304 ||
                 (status >= 100 && status < 200 && status != 101);
  return no_body ? 1 : 0;
}

int UpstreamConnection::OnBody(llhttp_t* p, const char* at, size_t len) {
  UpstreamConnection* self = Self(p);
  if (self->owner_ == nullptr) return -1;
  self->owner_->OnUpstreamBody(at, len);
  return self->closing_ ? -1 : 0;
}

int UpstreamConnection::OnMessageComplete(llhttp_t* p) {
  UpstreamConnection* self = Self(p);
  if (self->owner_ == nullptr) return -1;
  int status = self->head_.status;
  if (status == 101) {
    self->tunnel_ = true;
    return HPE_PAUSED;
  }
  if (status >= 100 && status < 200) {
    // Informational: the final response follows on the same connection.
    self->head_.Clear();
    self->headers_.Target(&self->head_.headers);
    self->response_started_ = false;
    self->informational_ = true;
    self->scanner_.Reset();
    self->StartTimer(TimerRole::kResponse, self->response_timeout_ms_);
    return HPE_PAUSED;
  }
  bool reusable = llhttp_should_keep_alive(p) != 0;
  UpstreamOwner* owner = self->owner_;
  owner->OnUpstreamComplete(reusable, self->head_.trailers);
  return HPE_PAUSED;
}

}  // namespace portico::dataplane
