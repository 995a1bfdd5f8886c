// The connection's life: accept, read, timers, close and linger.
#include "dataplane/http/downstream_connection.h"

#include <arpa/inet.h>

#include <unistd.h>

#include <algorithm>

#include "dataplane/http/downstream_internal.h"
#include "dataplane/net/ip_text.h"
#include "dataplane/worker/worker.h"

namespace portico::dataplane {

using namespace downstream;  // NOLINT: this class's own constants and helpers

void downstream::AllocFromWorker(uv_handle_t* handle, size_t, uv_buf_t* buf) {
  auto* worker = static_cast<Worker*>(handle->loop->data);
  *buf = uv_buf_init(worker->read_buffer(), Worker::kReadBufferSize);
}

DownstreamConnection::DownstreamConnection(Worker* worker, EntrypointListener* entrypoint)
    : worker_(worker), entrypoint_(entrypoint) {
  uv_tcp_init(worker->loop(), &tcp_);
  timer_.Init(worker->loop(), this);
  open_handles_ = 2;
  tcp_.data = this;
  llhttp_init(&parser_, HTTP_REQUEST, &Settings());
  parser_.data = this;
  if (entrypoint->spec.tls) transport_ = Transport::kSniff;
}

DownstreamConnection::~DownstreamConnection() = default;

void DownstreamConnection::Accept(Worker* worker, EntrypointListener* entrypoint,
                                  uv_stream_t* listener) {
  auto* conn = new DownstreamConnection(worker, entrypoint);
  if (uv_accept(listener, reinterpret_cast<uv_stream_t*>(&conn->tcp_)) != 0) {
    conn->closing_ = true;
    uv_close(reinterpret_cast<uv_handle_t*>(&conn->tcp_), &OnClosed);
    uv_close(conn->timer_.handle(), &OnClosed);
    return;
  }
  ConnectionGauge* gauge = entrypoint->connections;
  if (gauge != nullptr) {
    conn->counted_ = true;
    if (gauge->open.fetch_add(1, std::memory_order_relaxed) >= entrypoint->spec.max_connections) {
      // Over the limit: closing at once costs less than any answer would.
      entrypoint->counters->CountRefusedConnection();
      conn->closing_ = true;
      uv_close(reinterpret_cast<uv_handle_t*>(&conn->tcp_), &OnClosed);
      uv_close(conn->timer_.handle(), &OnClosed);
      return;
    }
  }
  conn->Begin();
}

void DownstreamConnection::Adopt(Worker* worker, EntrypointListener* entrypoint, int fd,
                                 std::string_view peeked, bool counted) {
  auto* conn = new DownstreamConnection(worker, entrypoint);
  conn->counted_ = counted;
  if (uv_tcp_open(&conn->tcp_, fd) != 0) {
    ::close(fd);
    conn->closing_ = true;
    uv_close(reinterpret_cast<uv_handle_t*>(&conn->tcp_), &OnClosed);
    uv_close(conn->timer_.handle(), &OnClosed);
    return;
  }
  conn->Begin();
  if (peeked.empty() || conn->closing_) return;
  // As if just read: through the TLS sniffing, or straight to the parser.
  if (conn->transport_ != Transport::kPlain) {
    conn->ReadTls(peeked.data(), peeked.size());
  } else {
    conn->OnClientBytes(peeked.data(), peeked.size());
  }
}

void DownstreamConnection::Begin() {
  int peer_len = sizeof peer_;
  if (uv_tcp_getpeername(&tcp_, reinterpret_cast<sockaddr*>(&peer_), &peer_len) == 0) {
    client_ip_ = IpText(peer_);
    trusted_peer_ = entrypoint_->spec.trusted_ips.Contains(reinterpret_cast<sockaddr*>(&peer_));
  }
  worker_->Register(this);
  ArmTimer(TimerRole::kHead, worker_->limits().header_timeout_ms);
  ResumeReading();
}

// Reading stays on between requests: stopping and restarting it would cost
// two epoll_ctl calls per request.
void DownstreamConnection::ResumeReading() {
  if (!reading_paused_ || closing_ || shutting_down_ || client_eof_) return;
  reading_paused_ = false;
  uv_read_start(reinterpret_cast<uv_stream_t*>(&tcp_), &AllocFromWorker, &OnRead);
}

void DownstreamConnection::PauseReading() {
  if (reading_paused_ || closing_) return;
  reading_paused_ = true;
  uv_read_stop(reinterpret_cast<uv_stream_t*>(&tcp_));
}

void DownstreamConnection::OnRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
  auto* self = static_cast<DownstreamConnection*>(stream->data);
  if (self->closing_ || nread == 0) return;
  if (self->lingering_) {
    if (nread < 0) self->Close();  // the client closed too: done
    return;                        // bytes after the last response are discarded
  }
  if (nread < 0) {
    self->OnClientEnd(nread);
    return;
  }
  if (self->transport_ != Transport::kPlain) {
    self->ReadTls(buf->base, static_cast<size_t>(nread));
    return;
  }
  self->OnClientBytes(buf->base, static_cast<size_t>(nread));
}

void DownstreamConnection::OnClientEnd(ssize_t nread) {
  if (nread == UV_EOF && phase_ == Phase::kTunnel && upstream_ != nullptr) {
    // The client is done sending: pass the half-close on; the backend's
    // answer still flows until it closes too.
    client_eof_ = true;
    PauseReading();
    upstream_->ShutdownWrite();
    return;
  }
  if (nread == UV_EOF && phase_ != Phase::kProxying) {
    CloseAfterWrites();  // a local answer may still be queued: send it first
    return;
  }
  if (nread == UV_EOF && request_complete_) {
    // Half-close after a whole request: the response still goes out.
    client_eof_ = true;
    close_after_response_ = true;
    PauseReading();
    return;
  }
  Close();
}

void DownstreamConnection::OnClientBytes(const char* data, size_t len) {
  if (phase_ == Phase::kTunnel) {
    TunnelFromClient(data, len);
    return;
  }
  if (parse_paused_) {
    unparsed_.append(data, len);
    if (unparsed_.size() > kMaxPipelinedBytes) PauseReading();
    return;
  }
  Parse(data, len);
}

void DownstreamConnection::ArmTimer(TimerRole role, uint64_t ms) {
  timer_role_ = role;
  timer_.Arm(ms);
}

void DownstreamConnection::OnTimer(uv_timer_t* timer) {
  auto* self = static_cast<DownstreamConnection*>(timer->data);
  if (self->closing_) return;
  switch (self->timer_role_) {
    case TimerRole::kHead:
      if (self->phase_ == Phase::kReadingHead) {
        self->close_after_response_ = true;
        self->RespondLocally(408, "request header timeout\n");
      } else {
        self->Close();  // idle keep-alive connection
      }
      break;
    case TimerRole::kResume: {
      std::string data;
      data.swap(self->unparsed_);
      self->ResumeReading();
      self->ArmTimer(TimerRole::kHead, self->worker_->limits().idle_timeout_ms);
      self->Parse(data.data(), data.size());
      break;
    }
    case TimerRole::kLinger:
      self->Close();
      break;
    case TimerRole::kTunnelIdle:
      self->OnTunnelTimer();
      break;
    case TimerRole::kWriteStall:
      self->Close();  // the client has not read for a whole idle timeout
      break;
    case TimerRole::kExchange:
      self->OnExchangeTimer();
      break;
    case TimerRole::kNone:
      break;
  }
}

// Ends the connection once the client has everything written to it.
// Nothing queued and nothing unread: close at once (close(2) sends the FIN).
// Otherwise shut the write side after the queue, then linger: read and
// discard until the client closes, so that closing with unread bytes does
// not turn into a reset that could destroy the response at the client.
void DownstreamConnection::CloseAfterWrites() {
  if (closing_ || shutting_down_) return;
  FlushToClient();
  if (tls_ != nullptr) SendCloseNotify();
  if (closing_) return;
  bool queued = uv_stream_get_write_queue_size(reinterpret_cast<uv_stream_t*>(&tcp_)) > 0;
  bool unread = !client_eof_ && (!request_complete_ || !unparsed_.empty());
  if (!queued && !unread) {
    Close();
    return;
  }
  shutting_down_ = true;
  unparsed_.clear();
  // A client that never reads must not hold the connection open forever.
  ArmTimer(TimerRole::kLinger, worker_->limits().idle_timeout_ms);
  // Rare enough to allocate: an idle connection should not carry it.
  auto* req = new uv_shutdown_t;
  req->data = this;
  int rc =
      uv_shutdown(req, reinterpret_cast<uv_stream_t*>(&tcp_), [](uv_shutdown_t* r, int status) {
        auto* self = static_cast<DownstreamConnection*>(r->data);
        delete r;  // runs before the close callback, even when cancelled by uv_close
        if (self->closing_) return;
        if (status != 0 || self->client_eof_) {
          self->Close();
          return;
        }
        // Written: wait a little for the client's own close.
        self->ArmTimer(TimerRole::kLinger,
                       std::min<uint64_t>(kLingerMs, self->worker_->limits().idle_timeout_ms));
      });
  if (rc != 0) {
    delete req;
    Close();
    return;
  }
  if (!client_eof_) {
    lingering_ = true;  // OnRead discards from now on
    if (reading_paused_) {
      reading_paused_ = false;
      uv_read_start(reinterpret_cast<uv_stream_t*>(&tcp_), &AllocFromWorker, &OnRead);
    }
  }
}

void DownstreamConnection::Drain() {
  if (phase_ == Phase::kIdle && !shutting_down_) {
    Close();
  } else {
    close_after_response_ = true;
  }
}

void DownstreamConnection::Close() {
  if (closing_) return;
  closing_ = true;
  if (upstream_ != nullptr) {
    upstream_->Close();  // mid-exchange: the connection's state is unknown
    upstream_ = nullptr;
  }
  if (ex_ != nullptr) EndAttempt(ex_->verdict);
  worker_->exchanges().Give(std::move(ex_));
  if (worker_->client_out_holder() == this) {
    worker_->client_out_holder() = nullptr;
    worker_->client_out().clear();
  }
  worker_->Unregister(this);
  timer_.Stop();
  uv_close(reinterpret_cast<uv_handle_t*>(&tcp_), &OnClosed);
  uv_close(timer_.handle(), &OnClosed);
}

void DownstreamConnection::OnClosed(uv_handle_t* handle) {
  auto* self = static_cast<DownstreamConnection*>(handle->data);
  if (--self->open_handles_ > 0) return;
  if (self->counted_) self->entrypoint_->connections->open.fetch_sub(1, std::memory_order_relaxed);
  delete self;
}

void DownstreamConnection::Count(int status) { entrypoint_->counters->Count(status); }

}  // namespace portico::dataplane
