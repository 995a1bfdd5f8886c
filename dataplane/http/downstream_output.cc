// Writing to the client: corking, the worker's gather buffer, writes that
// copy only what the socket does not take at once.
#include "dataplane/http/downstream_connection.h"
#include "dataplane/http/downstream_internal.h"
#include "dataplane/net/string_write.h"
#include "dataplane/worker/worker.h"

namespace portico::dataplane {

using namespace downstream;  // NOLINT: this class's own constants and helpers

// TCP_NODELAY is set before the second write, or as soon as a write leaves
// a remainder for libuv to send later, not at accept: Nagle holds data back
// only while earlier data is unacknowledged, which the first write of a
// connection never meets, so a connection answered in one write
// (Connection: close) saves the setsockopt.
void DownstreamConnection::BeforeWrite() {
  if (nodelay_) return;
  if (wrote_) SetNoDelay();
  wrote_ = true;
}

void DownstreamConnection::AfterWrite(int rc) {
  if (rc == 1 && !nodelay_) SetNoDelay();  // the rest goes out later: never held back
}

void DownstreamConnection::SetNoDelay() {
  uv_tcp_nodelay(&tcp_, 1);
  nodelay_ = true;
}

// Corking: while a callback of this connection runs, everything it writes
// to the client gathers in the worker's client buffer, which goes out in
// one write when the outermost Uncork runs. One connection of a worker is
// corked at a time (callbacks do not nest across connections); if another
// one corks, the first is flushed and writes directly from then on.
void DownstreamConnection::Cork() {
  DownstreamConnection*& holder = worker_->client_out_holder();
  if (holder != nullptr && holder != this) holder->FlushToClient();
  holder = this;
  ++cork_depth_;
}

void DownstreamConnection::Uncork() {
  if (cork_depth_ > 0 && --cork_depth_ > 0) return;
  FlushToClient();
}

void DownstreamConnection::FlushToClient() {
  DownstreamConnection*& holder = worker_->client_out_holder();
  if (holder != this) return;
  holder = nullptr;
  std::string& out = worker_->client_out();
  if (!out.empty() && !closing_) {
    BeforeWrite();
    int rc = tls_ == nullptr
                 ? WriteBytes(reinterpret_cast<uv_stream_t*>(&tcp_), out, this, &OnWrite)
                 : WriteTls(out, {});
    AfterWrite(rc);
    if (rc < 0) {
      out.clear();
      Close();
      return;
    }
  }
  out.clear();
}

std::string* DownstreamConnection::ClientOut() {
  if (worker_->client_out_holder() != this) {
    // Not corked: gather here, ClientOutDone writes it out at once.
    Cork();
  } else {
    ++cork_depth_;
  }
  return &worker_->client_out();
}

void DownstreamConnection::ClientOutDone() { Uncork(); }

void DownstreamConnection::WriteToClient(std::string_view data) {
  if (closing_ || shutting_down_) return;
  if (worker_->client_out_holder() == this) {
    std::string& out = worker_->client_out();
    if (data.size() < kGatherBytes) {
      out.append(data);
      return;
    }
    // A large chunk (body data) goes out with what was gathered before it
    // in one writev, without being copied into the gather buffer.
    BeforeWrite();
    int rc = tls_ == nullptr
                 ? WriteTwo(reinterpret_cast<uv_stream_t*>(&tcp_), out, data, this, &OnWrite)
                 : WriteTls(out, data);
    AfterWrite(rc);
    out.clear();
    if (rc < 0) Close();
    return;
  }
  BeforeWrite();
  int rc = tls_ == nullptr ? WriteBytes(reinterpret_cast<uv_stream_t*>(&tcp_), data, this, &OnWrite)
                           : WriteTls(data, {});
  AfterWrite(rc);
  if (rc < 0) Close();
}

void DownstreamConnection::OnWrite(uv_write_t* req, int status) {
  auto* self = FinishStringWrite<DownstreamConnection>(req);
  if (self->closing_) return;
  if (status != 0) {
    self->Close();
    return;
  }
  size_t queued = uv_stream_get_write_queue_size(reinterpret_cast<uv_stream_t*>(&self->tcp_));
  if (self->upstream_ != nullptr && queued <= self->worker_->limits().write_high_water / 2) {
    self->upstream_->ResumeReading();
    if (self->timer_role_ == TimerRole::kWriteStall) {
      self->timer_.Disarm();
      self->timer_role_ = TimerRole::kNone;
    }
  }
}

}  // namespace portico::dataplane
