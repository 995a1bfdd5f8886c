// The splice of a TcpConnection: bytes both ways, through TLS on either
// side, with backpressure (a side is read only while the other's write
// queue is under the write high-water mark and nothing waits for it),
// half-close passed on, the termination delay once the first FIN is out,
// and a write-stall deadline while the last bytes wait for a peer.
#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "dataplane/l4/tcp_connection.h"
#include "dataplane/net/string_write.h"
#include "dataplane/tls/client_hello.h"
#include "dataplane/worker/worker.h"

namespace portico::dataplane {
namespace {

size_t Queued(uv_tcp_t* tcp) {
  return uv_stream_get_write_queue_size(reinterpret_cast<uv_stream_t*>(tcp));
}

}  // namespace

void TcpConnection::StartClientTls() {
  ClientHello hello;
  std::string why;
  if (ParseClientHello(peeked_, &hello, &why) != HelloStatus::kComplete) {
    Close();
    return;
  }
  SslPtr ssl = action_->tls_context->NewSsl(hello);
  if (ssl == nullptr) {
    Close();
    return;
  }
  client_.ssl = ssl.get();
  client_.tls = std::make_unique<TlsConnection>(std::move(ssl), action_->tls_context);
  std::string held = std::move(peeked_);
  OnTlsBytes(client_, held.data(), held.size());
  if (!closing_) UpdateReading();
}

bool TcpConnection::Ready(const Side& side) const {
  if (side.client) return side.tls == nullptr || side.tls->handshake_done();
  return backend_ready_;
}

void TcpConnection::StartReading(Side& side) {
  if (side.reading || side.tcp == nullptr || closing_) return;
  side.reading = true;
  uv_read_start(
      reinterpret_cast<uv_stream_t*>(side.tcp),
      [](uv_handle_t* h, size_t, uv_buf_t* buf) {
        auto* worker = static_cast<Worker*>(h->loop->data);
        *buf = uv_buf_init(worker->read_buffer(), Worker::kReadBufferSize);
      },
      &OnRead);
}

void TcpConnection::StopReading(Side& side) {
  if (!side.reading || side.tcp == nullptr) return;
  side.reading = false;
  uv_read_stop(reinterpret_cast<uv_stream_t*>(side.tcp));
}

void TcpConnection::UpdateReading() {
  if (closing_ || phase_ == Phase::kPeeking) return;
  auto takes = [&](Side& to) {
    return to.tcp != nullptr && to.waiting.empty() &&
           Queued(to.tcp) <= worker_->limits().write_high_water;
  };
  // The client is read during a dial only to finish its TLS handshake.
  bool client =
      !client_.eof &&
      (backend_ready_ ? takes(backend_) : client_.tls != nullptr && backend_.waiting.empty());
  bool backend = !backend_.eof && phase_ == Phase::kSplicing && takes(client_);
  client ? StartReading(client_) : StopReading(client_);
  backend ? StartReading(backend_) : StopReading(backend_);
}

void TcpConnection::OnRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
  auto* self = static_cast<TcpConnection*>(stream->data);
  if (self->closing_ || nread == 0) return;
  Side& from =
      stream == reinterpret_cast<uv_stream_t*>(self->client_.tcp) ? self->client_ : self->backend_;
  if (nread < 0) {
    if (nread == UV_EOF && self->phase_ != Phase::kPeeking) {
      self->OnEnd(from);
    } else {
      self->Close();  // a reset, or a client gone before it was routed
    }
    return;
  }
  if (self->phase_ == Phase::kPeeking) {
    self->OnPeekBytes(buf->base, static_cast<size_t>(nread));
    return;
  }
  if (from.client) {
    self->action_->counters->bytes_from_client.fetch_add(static_cast<uint64_t>(nread),
                                                         std::memory_order_relaxed);
  }
  self->OnBytes(from, buf->base, static_cast<size_t>(nread));
}

void TcpConnection::OnBytes(Side& from, const char* data, size_t len) {
  if (from.tls != nullptr) {
    OnTlsBytes(from, data, len);
  } else {
    Deliver(Other(from), std::string_view(data, len));
  }
  if (!closing_) UpdateReading();
}

// Through `from`'s TLS layer: handshake records answered, plaintext
// delivered to the other side; a finished handshake makes the side ready.
void TcpConnection::OnTlsBytes(Side& from, const char* data, size_t len) {
  bool was_done = from.tls->handshake_done();
  std::string out;
  TlsConnection::ReadStatus status =
      from.tls->Read(std::string_view(data, len), &out, [&](const char* plaintext, size_t n) {
        Deliver(Other(from), std::string_view(plaintext, n));
        return !closing_;
      });
  if (closing_) return;
  if (!out.empty()) SendRaw(from, out);
  if (closing_) return;
  switch (status) {
    case TlsConnection::ReadStatus::kFailed:
      LogDebug("proxy",
               absl::StrCat("TCP route ", action_->route, ": TLS failure with the ",
                            from.client ? "client " + client_ip_ : "backend " + endpoint_key_));
      Close();
      return;
    case TlsConnection::ReadStatus::kClosed:
      OnEnd(from);  // close_notify: the end of that side's stream
      return;
    case TlsConnection::ReadStatus::kWantMore:
    case TlsConnection::ReadStatus::kStopped:
      break;
  }
  if (was_done || !from.tls->handshake_done()) return;
  if (from.client) {
    OnSideReady(client_);
    return;
  }
  if (std::string why = transport_->tls->CheckPeer(from.ssl); !why.empty()) {
    LogWarn("proxy", absl::StrCat("TCP route ", action_->route, ": backend ", endpoint_key_,
                                  " refused: ", why));
    Refuse("backend certificate refused");
    return;
  }
  OnBackendReady();
}

void TcpConnection::Deliver(Side& to, std::string_view plaintext) {
  if (!Ready(to)) {
    to.waiting.append(plaintext);  // bounded: the other side is not read meanwhile
    return;
  }
  if (to.tls == nullptr) {
    SendRaw(to, plaintext);
    return;
  }
  std::string out;
  if (!to.tls->Write(plaintext, &out)) {
    Close();
    return;
  }
  SendRaw(to, out);
}

void TcpConnection::SendRaw(Side& to, std::string_view bytes) {
  if (bytes.empty() || to.shut) return;
  if (to.client) CountSentToClient();
  if (WriteBytes(reinterpret_cast<uv_stream_t*>(to.tcp), bytes, &to, &OnWrite) < 0) {
    Close();
    return;
  }
  if (!to.client) return;
  // What the socket took at once counts now; what was queued, once written.
  size_t queued = Queued(to.tcp);
  action_->counters->bytes_to_client.fetch_add(bytes.size() - (queued - to.queued_seen),
                                               std::memory_order_relaxed);
  to.queued_seen = queued;
}

// Counts the bytes that left the client's write queue since the last look.
void TcpConnection::CountSentToClient() {
  size_t queued = Queued(client_.tcp);
  if (client_.queued_seen > queued) {
    action_->counters->bytes_to_client.fetch_add(client_.queued_seen - queued,
                                                 std::memory_order_relaxed);
  }
  client_.queued_seen = queued;
}

void TcpConnection::OnWrite(uv_write_t* req, int status) {
  Side* side = FinishStringWrite<Side>(req);
  TcpConnection* self = side->owner;
  if (self->closing_) return;
  if (status < 0) {
    self->Close();
    return;
  }
  if (side->client) self->CountSentToClient();
  self->UpdateReading();
  self->WatchStall();
}

void TcpConnection::OnSideReady(Side& side) {
  if (side.client && guard_role_ == GuardRole::kClientHandshake) StopGuard();
  std::string waiting = std::move(side.waiting);
  side.waiting.clear();
  if (!waiting.empty()) Deliver(side, waiting);
  if (closing_) return;
  if (Other(side).eof) OnEnd(Other(side));  // its EOF came while `side` was not ready
  if (!closing_) UpdateReading();
}

// `from` will send nothing more: pass the half-close on once every byte
// queued for the other side is written (uv_shutdown waits for them). The
// termination delay starts when that FIN is out.
void TcpConnection::OnEnd(Side& from) {
  from.eof = true;
  StopReading(from);
  Side& to = Other(from);
  if (!Ready(to)) return;  // shut once ready (OnSideReady)
  Shut(to);
  if (closing_) return;
  WatchStall();
  MaybeFinish();
}

// The FIN went out `delay` ago and the other direction still flows: it
// ends now (Traefik's read deadline). What is already queued for its
// peer is still written before that FIN too.
void TcpConnection::OnTerminationDelay() {
  Side* open = !client_.eof ? &client_ : !backend_.eof ? &backend_ : nullptr;
  if (open == nullptr) return;
  if (!Ready(Other(*open))) {
    Close();  // its peer never finished its handshake: nothing more can pass
    return;
  }
  OnEnd(*open);
}

void TcpConnection::WatchStall() {
  if (closing_ || (!client_.eof && !backend_.eof)) return;
  if (guard_role_ == GuardRole::kClientHandshake) return;  // the shorter deadline stays
  auto waits = [](const Side& side) {
    return side.tcp != nullptr && ((side.shut && !side.shut_done) || Queued(side.tcp) > 0);
  };
  if (waits(client_) || waits(backend_)) {
    ArmGuard(GuardRole::kWriteStall, worker_->limits().idle_timeout_ms);
  } else if (guard_role_ == GuardRole::kWriteStall) {
    StopGuard();
  }
}

void TcpConnection::Shut(Side& side) {
  if (side.shut || side.tcp == nullptr) return;
  if (side.tls != nullptr) {
    std::string out;
    side.tls->Shutdown(&out);
    SendRaw(side, out);
    if (closing_) return;
  }
  side.shut = true;
  auto* req = new uv_shutdown_t;
  req->data = &side;
  int rc =
      uv_shutdown(req, reinterpret_cast<uv_stream_t*>(side.tcp), [](uv_shutdown_t* r, int status) {
        auto* s = static_cast<Side*>(r->data);
        delete r;
        TcpConnection* self = s->owner;
        if (self->closing_) return;
        if (status < 0) {
          self->Close();
          return;
        }
        s->shut_done = true;
        // The other direction (read from `s`) gets the termination delay.
        if (!s->eof && self->timer_role_ != TimerRole::kTermination) {
          self->ArmTimer(TimerRole::kTermination, self->transport_->termination_delay_ms);
        }
        self->WatchStall();
        self->MaybeFinish();
      });
  if (rc != 0) {
    delete req;
    Close();
  }
}

void TcpConnection::MaybeFinish() {
  if (client_.eof && backend_.eof && client_.shut_done && backend_.shut_done) Close();
}

}  // namespace portico::dataplane
