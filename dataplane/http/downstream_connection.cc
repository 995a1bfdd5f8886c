#include "dataplane/http/downstream_connection.h"

#include <arpa/inet.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "dataplane/http/exchange.h"
#include "dataplane/http/head_codec.h"
#include "dataplane/http/request_target.h"
#include "dataplane/net/string_write.h"
#include "dataplane/worker/worker.h"

namespace portico::dataplane {
namespace {

constexpr size_t kMaxReplayBytes = 64 * 1024;
// After the last response is written, how long to wait for the client to close.
constexpr uint64_t kLingerMs = 2000;
// Writes at least this large are not copied into the gather buffer.
constexpr size_t kGatherBytes = 4096;
// Pipelined bytes buffered while a response is pending; reading pauses above.
constexpr size_t kMaxPipelinedBytes = 64 * 1024;
constexpr int kMaxConnectAttempts = 3;

DownstreamConnection* Self(llhttp_t* p) { return static_cast<DownstreamConnection*>(p->data); }

std::string PeerIp(const sockaddr_storage& addr) {
  char text[INET6_ADDRSTRLEN] = {};
  if (addr.ss_family == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&addr)->sin6_addr, text, sizeof text);
  } else {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&addr)->sin_addr, text, sizeof text);
  }
  return text;
}

void AllocFromWorker(uv_handle_t* handle, size_t, uv_buf_t* buf);

}  // namespace

const llhttp_settings_t& DownstreamConnection::Settings() {
  static const llhttp_settings_t settings = [] {
    llhttp_settings_t s;
    llhttp_settings_init(&s);
    s.on_message_begin = &OnMessageBegin;
    s.on_url = &OnUrl;
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

DownstreamConnection::DownstreamConnection(Worker* worker, EntrypointListener* entrypoint)
    : worker_(worker), entrypoint_(entrypoint) {
  uv_tcp_init(worker->loop(), &tcp_);
  timer_.Init(worker->loop(), this);
  open_handles_ = 2;
  tcp_.data = this;
  llhttp_init(&parser_, HTTP_REQUEST, &Settings());
  parser_.data = this;
}

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
  uv_tcp_nodelay(&conn->tcp_, 1);
  sockaddr_storage peer{};
  int peer_len = sizeof peer;
  if (uv_tcp_getpeername(&conn->tcp_, reinterpret_cast<sockaddr*>(&peer), &peer_len) == 0) {
    conn->client_ip_ = PeerIp(peer);
    conn->trusted_peer_ = entrypoint->spec.trusted_ips.Contains(reinterpret_cast<sockaddr*>(&peer));
  }
  worker->Register(conn);
  conn->ArmTimer(TimerRole::kHead, worker->limits().header_timeout_ms);
  conn->ResumeReading();
}

namespace {
void AllocFromWorker(uv_handle_t* handle, size_t, uv_buf_t* buf) {
  // Reads are parsed synchronously, so every connection of the worker can
  // share one buffer; an idle connection holds none.
  auto* worker = static_cast<Worker*>(handle->loop->data);
  *buf = uv_buf_init(worker->read_buffer(), Worker::kReadBufferSize);
}
}  // namespace

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
    if (nread == UV_EOF && self->phase_ == Phase::kTunnel && self->upstream_ != nullptr) {
      // The client is done sending: pass the half-close on; the backend's
      // answer still flows until it closes too.
      self->client_eof_ = true;
      self->PauseReading();
      self->upstream_->ShutdownWrite();
      return;
    }
    if (nread == UV_EOF && self->phase_ != Phase::kProxying) {
      self->CloseAfterWrites();  // a local answer may still be queued: send it first
      return;
    }
    if (nread == UV_EOF && self->request_complete_) {
      // Half-close after a whole request: the response still goes out.
      self->client_eof_ = true;
      self->close_after_response_ = true;
      self->PauseReading();
      return;
    }
    self->Close();
    return;
  }
  if (self->phase_ == Phase::kTunnel) {
    self->TunnelFromClient(buf->base, static_cast<size_t>(nread));
    return;
  }
  if (self->parse_paused_) {
    self->unparsed_.append(buf->base, static_cast<size_t>(nread));
    if (self->unparsed_.size() > kMaxPipelinedBytes) self->PauseReading();
    return;
  }
  self->Parse(buf->base, static_cast<size_t>(nread));
}

void DownstreamConnection::Parse(const char* data, size_t len) {
  // What the callbacks send upstream goes out in one write when this read
  // has been parsed (head and body of a small request: one syscall).
  parsing_ = true;
  ParseBuffered(data, len);
  parsing_ = false;
  if (closing_) {
    worker_->upstream_out().clear();
    return;
  }
  FlushUpstream();
}

void DownstreamConnection::ParseBuffered(const char* data, size_t len) {
  if (const char* refused = scanner_.Feed(data, len)) {
    RefuseMalformed(refused);
    return;
  }
  llhttp_errno_t err = llhttp_execute(&parser_, data, len);
  if (closing_ || err == HPE_OK) return;
  if (err == HPE_PAUSED || err == HPE_PAUSED_UPGRADE) {
    // A whole request was read; what follows waits for its response.
    const char* pos = llhttp_get_error_pos(&parser_);
    if (pos != nullptr && pos < data + len)
      unparsed_.append(pos, static_cast<size_t>(data + len - pos));
    parse_paused_ = true;
    if (unparsed_.size() > kMaxPipelinedBytes) PauseReading();
    if (response_complete_) FinishExchange(response_keep_alive_);
    return;
  }
  if (err == HPE_USER) return;  // a callback has answered already
  RefuseMalformed(llhttp_get_error_reason(&parser_));
}

void DownstreamConnection::RefuseMalformed(std::string_view why) {
  close_after_response_ = true;
  if (phase_ == Phase::kProxying && response_status_ != 0) {
    Close();  // the response is under way: nothing valid can be sent now
    return;
  }
  if (upstream_ != nullptr) {
    upstream_->Close();
    upstream_ = nullptr;
  }
  RespondLocally(400, absl::StrCat("bad request: ", absl::string_view(why.data(), why.size()), "\n"));
}

int DownstreamConnection::OnMessageBegin(llhttp_t* p) {
  DownstreamConnection* self = Self(p);
  self->phase_ = Phase::kReadingHead;
  self->worker_->exchanges().Give(std::move(self->ex_));
  self->ex_ = self->worker_->exchanges().Take();
  self->ex_->head_bytes = 0;
  self->ex_->headers.Target(&self->ex_->request.headers);
  self->request_complete_ = false;
  self->response_complete_ = false;
  self->response_status_ = 0;
  self->ArmTimer(TimerRole::kHead, self->worker_->limits().header_timeout_ms);
  return 0;
}

int DownstreamConnection::CheckHeadLimits() {
  const ProxyLimits& limits = worker_->limits();
  if (phase_ == Phase::kProxying && response_status_ != 0) {
    // Trailers past the limits once the response has begun: no status left to send.
    if (ex_->head_bytes > limits.max_header_bytes ||
        ex_->request.trailers.size() > limits.max_headers) {
      Close();
      return -1;
    }
    return 0;
  }
  if (ex_->request.target.size() > limits.max_uri_bytes) {
    close_after_response_ = true;
    RespondLocally(414, "request-target too long\n");
    return -1;
  }
  if (ex_->head_bytes > limits.max_header_bytes || ex_->request.headers.size() > limits.max_headers ||
      ex_->request.trailers.size() > limits.max_headers) {
    close_after_response_ = true;
    RespondLocally(431, "request header fields too large\n");
    return -1;
  }
  return 0;
}

int DownstreamConnection::OnUrl(llhttp_t* p, const char* at, size_t len) {
  DownstreamConnection* self = Self(p);
  self->ex_->request.target.append(at, len);
  self->ex_->head_bytes += len;
  return self->CheckHeadLimits();
}

int DownstreamConnection::OnHeaderField(llhttp_t* p, const char* at, size_t len) {
  DownstreamConnection* self = Self(p);
  self->ex_->headers.Field(at, len);
  self->ex_->head_bytes += len + 4;
  return self->CheckHeadLimits();
}

int DownstreamConnection::OnHeaderValue(llhttp_t* p, const char* at, size_t len) {
  DownstreamConnection* self = Self(p);
  self->ex_->headers.Value(at, len);
  self->ex_->head_bytes += len;
  return self->CheckHeadLimits();
}

int DownstreamConnection::OnHeaderValueComplete(llhttp_t* p) {
  Self(p)->ex_->headers.ValueComplete();
  return 0;
}

int DownstreamConnection::OnHeadersComplete(llhttp_t* p) {
  DownstreamConnection* self = Self(p);
  self->timer_.Disarm();
  self->timer_role_ = TimerRole::kNone;
  self->ex_->headers.Target(&self->ex_->request.trailers);
  return self->CompleteHead();
}

int DownstreamConnection::CompleteHead() {
  RequestHead& r = ex_->request;
  r.method = llhttp_method_name(static_cast<llhttp_method_t>(parser_.method));
  r.http_minor = parser_.http_minor;
  r.chunked = (parser_.flags & F_CHUNKED) != 0;
  r.has_body = r.chunked || ((parser_.flags & F_CONTENT_LENGTH) && parser_.content_length > 0);
  r.keep_alive = llhttp_should_keep_alive(&parser_) != 0;
  // Connection: upgrade with an Upgrade header. If the backend switches
  // protocols the connection becomes a tunnel; if not, it closes after the
  // response, since the client may already be speaking the new protocol.
  r.upgrade = parser_.upgrade && parser_.method != HTTP_CONNECT && r.http_minor >= 1;
  if (r.upgrade) close_after_response_ = true;
  if (parser_.method == HTTP_CONNECT) {
    close_after_response_ = true;
    RespondLocally(405, "CONNECT is not supported\n");
    return 0;
  }
  std::string authority;
  if (!ParseRequestTarget(r.target, &r.path, &authority)) {
    close_after_response_ = true;
    RespondLocally(400, "bad request: unsupported request-target form\n");
    return 0;
  }
  int host_count = 0;
  int transfer_encodings = 0;
  for (const HeaderField& h : r.headers) {
    if (HeaderNameEquals(h.name, "host")) {
      ++host_count;
      if (authority.empty()) authority = h.value;
    } else if (HeaderNameEquals(h.name, "transfer-encoding")) {
      // Only a single, plain "chunked" frames a request unambiguously; any
      // other coding, list or repetition is read differently by some server.
      ++transfer_encodings;
      if (!HeaderNameEquals(TrimOws(h.value), "chunked")) transfer_encodings = 2;
    }
  }
  if (transfer_encodings > 1 || (transfer_encodings == 1 && r.http_minor == 0)) {
    close_after_response_ = true;
    RespondLocally(400, "bad request: Transfer-Encoding other than a single chunked\n");
    return 0;
  }
  if (host_count > 1 || (host_count == 0 && r.http_minor >= 1) ||
      (!authority.empty() && !NormalizeHost(authority, &r.host))) {
    close_after_response_ = true;
    RespondLocally(400, "bad request: missing, repeated or invalid Host\n");
    return 0;
  }
  StartRequest();
  return 0;
}

void DownstreamConnection::StartRequest() {
  ex_->config = worker_->config();
  if (ex_->config == nullptr) {
    RespondLocally(503, "no configuration received yet\n");
    return;
  }
  const Route* route = ex_->config->routes().Match(ex_->request.host, ex_->request.path);
  if (route == nullptr) {
    RespondLocally(404, "no route matches this host and path\n");
    return;
  }
  if (route->cluster == nullptr) {
    RespondLocally(503, "the route's backend service is not available\n");
    return;
  }
  ex_->cluster = route->cluster;
  ex_->connect_attempts = 0;
  ex_->replay.clear();
  ex_->replayable = true;
  phase_ = Phase::kProxying;
  if (!ConnectUpstream()) return;
  std::string& out = worker_->upstream_out();
  SerializeUpstreamRequest(ex_->request, Forwarding(), &out);
  if (!parsing_) FlushUpstream();
}

ForwardingInfo DownstreamConnection::Forwarding() const {
  return {.client_ip = client_ip_,
          .proto = "http",
          .entrypoint_port = entrypoint_->port_text,
          .trusted_peer = trusted_peer_};
}

void DownstreamConnection::FlushUpstream() {
  std::string& out = worker_->upstream_out();
  if (upstream_ != nullptr && !out.empty()) upstream_->Write(out);
  out.clear();
  if (upstream_ != nullptr && upstream_->write_queue_size() > worker_->limits().write_high_water) {
    PauseReading();
  }
}

bool DownstreamConnection::ConnectUpstream() {
  const Endpoint* endpoint = worker_->picker().Pick(*ex_->cluster, uv_now(worker_->loop()));
  if (endpoint == nullptr) {
    RespondLocally(503, "no endpoint available for this service\n");
    return false;
  }
  ++ex_->connect_attempts;
  ex_->endpoint = endpoint;
  upstream_ = worker_->pool().Take(endpoint->key);
  if (upstream_ != nullptr) {
    upstream_->Attach(this);
  } else {
    upstream_ = UpstreamConnection::Connect(worker_, *endpoint, this);
  }
  upstream_->ExpectResponse(ex_->request.method == "HEAD", ex_->request.upgrade);
  return true;
}

void DownstreamConnection::SendBodyToUpstream(std::string_view framing_before,
                                              std::string_view data,
                                              std::string_view framing_after) {
  // The head can be serialized again for a retry; body bytes must be kept.
  if (ex_->replayable) {
    size_t size = framing_before.size() + data.size() + framing_after.size();
    if (ex_->replay.size() + size <= kMaxReplayBytes) {
      ex_->replay.append(framing_before).append(data).append(framing_after);
    } else {
      ex_->replayable = false;
      ex_->replay.clear();
    }
  }
  std::string& out = worker_->upstream_out();
  out.append(framing_before).append(data).append(framing_after);
  // Inside Parse everything goes out in one write at the end of the read.
  if (!parsing_) FlushUpstream();
}

int DownstreamConnection::OnBody(llhttp_t* p, const char* at, size_t len) {
  DownstreamConnection* self = Self(p);
  if (self->phase_ != Phase::kProxying || self->upstream_ == nullptr) return 0;  // discarded
  if (self->ex_->request.chunked) {
    std::string size;
    ChunkHeader(len, &size);
    self->SendBodyToUpstream(size, std::string_view(at, len), "\r\n");
  } else {
    self->SendBodyToUpstream("", std::string_view(at, len), "");
  }
  return 0;
}

int DownstreamConnection::OnMessageComplete(llhttp_t* p) {
  DownstreamConnection* self = Self(p);
  self->scanner_.Reset();
  self->request_complete_ = true;
  self->ex_->request.keep_alive = llhttp_should_keep_alive(p) != 0;
  if (self->phase_ == Phase::kProxying && self->upstream_ != nullptr && self->ex_->request.chunked) {
    std::string last;
    LastChunk(self->ex_->request.trailers, &last);
    self->SendBodyToUpstream("", last, "");
  }
  return HPE_PAUSED;
}

void DownstreamConnection::OnUpstreamWritable() {
  if (reading_paused_ && (!parse_paused_ || phase_ == Phase::kTunnel)) ResumeReading();
}

void DownstreamConnection::OnUpstreamFailed(UpstreamError error, bool reused) {
  upstream_ = nullptr;
  // A pooled connection the backend closed while idle says nothing about
  // the backend's health; anything else counts against the endpoint.
  if (!(error == UpstreamError::kReset && reused) && ex_ != nullptr && ex_->endpoint != nullptr) {
    worker_->ReportEndpointFailure(*ex_->cluster, ex_->endpoint->key);
  }
  if (response_status_ != 0) {
    Close();  // part of the response is already with the client
    return;
  }
  bool retry =
      ex_->replayable &&
      ((error == UpstreamError::kConnectFailed && ex_->connect_attempts < kMaxConnectAttempts &&
        static_cast<size_t>(ex_->connect_attempts) < ex_->cluster->active().size() + 1) ||
       (error == UpstreamError::kReset && reused));
  if (retry && ConnectUpstream()) {
    std::string again;
    SerializeUpstreamRequest(ex_->request, Forwarding(), &again);
    again.append(ex_->replay);
    upstream_->Write(again);
    return;
  }
  if (upstream_ != nullptr || phase_ != Phase::kProxying) return;  // answered by ConnectUpstream
  int status = error == UpstreamError::kResponseTimeout ? 504 : 502;
  std::string_view why =
      error == UpstreamError::kConnectFailed     ? "cannot connect to the backend\n"
      : error == UpstreamError::kResponseTimeout ? "the backend did not answer in time\n"
      : error == UpstreamError::kBadResponse     ? "the backend sent an invalid response\n"
                                                 : "the backend closed the connection\n";
  RespondLocally(status, why);
}

void DownstreamConnection::OnUpstreamHead(const ResponseHead& head) {
  if (head.status < 200) {
    if (head.status == 100 && ex_->request.http_minor >= 1) {
      WriteToClient("HTTP/1.1 100 Continue\r\n\r\n");
    }
    if (head.status != 101) return;
    // The upstream connection accepts a 101 only for an upgrade request.
    response_status_ = 101;
    Count(101);
    std::string switching;
    SerializeClientResponse(head, ResponseFraming::kAsIs, true, 1, &switching);
    WriteToClient(switching);
    return;
  }
  response_status_ = head.status;
  Count(head.status);
  if (head.status >= 500) {
    worker_->ReportEndpointFailure(*ex_->cluster, ex_->endpoint->key);
  } else {
    worker_->ReportEndpointSuccess(*ex_->cluster, ex_->endpoint->key);
  }
  bool bodyless = ex_->request.method == "HEAD" || head.status == 204 || head.status == 304;
  ResponseFraming framing = ResponseFraming::kAsIs;
  if (!bodyless && (head.chunked || !head.has_content_length)) {
    if (ex_->request.http_minor >= 1) {
      framing = ResponseFraming::kChunked;
    } else {
      framing = ResponseFraming::kUntilClose;
      close_after_response_ = true;
    }
  }
  response_chunked_ = framing == ResponseFraming::kChunked;
  response_keep_alive_ = ex_->request.keep_alive && !close_after_response_ && !worker_->draining();
  SerializeClientResponse(head, framing, response_keep_alive_, ex_->request.http_minor,
                          ClientOut());
  ClientOutDone();
}

void DownstreamConnection::OnUpstreamBody(const char* data, size_t len) {
  if (phase_ == Phase::kTunnel) last_activity_ms_ = uv_now(worker_->loop());
  if (response_chunked_) {
    std::string* out = ClientOut();
    ChunkHeader(len, out);
    out->append(data, len).append("\r\n");
    ClientOutDone();
  } else {
    WriteToClient(std::string_view(data, len));
  }
  size_t queued = uv_stream_get_write_queue_size(reinterpret_cast<uv_stream_t*>(&tcp_));
  if (upstream_ != nullptr && queued > worker_->limits().write_high_water) {
    upstream_->PauseReading();
    // A client that stops reading holds a backend connection: not forever.
    if (timer_role_ == TimerRole::kNone) {
      ArmTimer(TimerRole::kWriteStall, worker_->limits().idle_timeout_ms);
    }
  }
}

void DownstreamConnection::OnUpstreamUpgraded() {
  if (!request_complete_) {
    Close();  // the request's body is unfinished: no way to tell where the tunnel begins
    return;
  }
  phase_ = Phase::kTunnel;
  worker_->exchanges().Give(std::move(ex_));
  last_activity_ms_ = uv_now(worker_->loop());
  ArmTimer(TimerRole::kTunnelIdle, worker_->limits().tunnel_idle_timeout_ms);
  if (!unparsed_.empty()) {
    std::string early;
    early.swap(unparsed_);
    upstream_->Write(std::move(early));
  }
  if (client_eof_) {
    upstream_->ShutdownWrite();  // the client half-closed before the 101 came
    return;
  }
  ResumeReading();
}

void DownstreamConnection::TunnelFromClient(const char* data, size_t len) {
  if (upstream_ == nullptr) return;
  last_activity_ms_ = uv_now(worker_->loop());
  upstream_->Write(std::string(data, len));
  if (upstream_ != nullptr && upstream_->write_queue_size() > worker_->limits().write_high_water) {
    PauseReading();
  }
}

void DownstreamConnection::OnUpstreamTunnelEnd() {
  upstream_ = nullptr;
  CloseAfterWrites();
}

void DownstreamConnection::OnTunnelTimer() {
  uint64_t now = uv_now(worker_->loop());
  uint64_t timeout = worker_->limits().tunnel_idle_timeout_ms;
  if (now - last_activity_ms_ >= timeout) {
    Close();
    return;
  }
  ArmTimer(TimerRole::kTunnelIdle, timeout - (now - last_activity_ms_));
}

void DownstreamConnection::OnUpstreamComplete(bool reusable,
                                              const HeaderList& trailers) {
  if (response_chunked_) {
    LastChunk(trailers, ClientOut());
    ClientOutDone();
  }
  response_complete_ = true;
  UpstreamConnection* upstream = upstream_;
  upstream_ = nullptr;
  upstream->Release(reusable && request_complete_);
  // The request is complete, or the backend answered before reading all of
  // it: then the rest of the body cannot be skipped safely, so close.
  if (request_complete_) {
    FinishExchange(response_keep_alive_);
  } else {
    FinishExchange(false);
  }
}

void DownstreamConnection::RespondLocally(int status, std::string_view body) {
  if (ex_ == nullptr) ex_ = worker_->exchanges().Take();  // refused before any head began
  phase_ = Phase::kResponding;
  response_status_ = status;
  response_complete_ = true;
  Count(status);
  // A client waiting for 100 Continue may never send the body it announced.
  if (!request_complete_ && ex_->request.http_minor >= 1 &&
      FindHeader(ex_->request.headers, "expect") != nullptr) {
    close_after_response_ = true;
  }
  bool keep_alive = ex_->request.keep_alive && !close_after_response_ && !worker_->draining();
  response_keep_alive_ = keep_alive;
  LocalResponse(status, body, keep_alive, ex_->request.method == "HEAD", ClientOut());
  ClientOutDone();
  if (request_complete_) {
    FinishExchange(keep_alive);
  } else if (!close_after_response_ && reading_paused_ && !parse_paused_) {
    ResumeReading();  // read and discard the rest of the body
  }
  if (close_after_response_) CloseAfterWrites();
}

void DownstreamConnection::FinishExchange(bool keep_alive) {
  ex_->config.reset();
  if (!keep_alive || close_after_response_ || worker_->draining()) {
    CloseAfterWrites();
    return;
  }
  if (!parse_paused_) return;  // request body still arriving; resumes at its end
  worker_->exchanges().Give(std::move(ex_));
  phase_ = Phase::kIdle;
  parse_paused_ = false;
  llhttp_resume(&parser_);
  // Pipelined bytes are parsed on the next loop turn, never from inside the
  // callback that finished this exchange.
  if (!unparsed_.empty()) {
    ArmTimer(TimerRole::kResume, 0);
  } else {
    ArmTimer(TimerRole::kHead, worker_->limits().idle_timeout_ms);
    ResumeReading();
  }
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
    case TimerRole::kNone:
      break;
  }
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
    if (WriteBytes(reinterpret_cast<uv_stream_t*>(&tcp_), out, this, &OnWrite) < 0) {
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
    int rc = WriteTwo(reinterpret_cast<uv_stream_t*>(&tcp_), out, data, this, &OnWrite);
    out.clear();
    if (rc < 0) Close();
    return;
  }
  if (WriteBytes(reinterpret_cast<uv_stream_t*>(&tcp_), data, this, &OnWrite) < 0) Close();
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

// Ends the connection once the client has everything written to it.
// Nothing queued and nothing unread: close at once (close(2) sends the FIN).
// Otherwise shut the write side after the queue, then linger: read and
// discard until the client closes, so that closing with unread bytes does
// not turn into a reset that could destroy the response at the client.
void DownstreamConnection::CloseAfterWrites() {
  if (closing_ || shutting_down_) return;
  FlushToClient();
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
  int rc = uv_shutdown(req, reinterpret_cast<uv_stream_t*>(&tcp_), [](uv_shutdown_t* r, int status) {
    auto* self = static_cast<DownstreamConnection*>(r->data);
    delete r;  // runs before the close callback, even when cancelled by uv_close
    if (self->closing_) return;
    if (status != 0 || self->client_eof_) {
      self->Close();
      return;
    }
    // Written: wait a little for the client's own close.
    self->ArmTimer(TimerRole::kLinger, std::min<uint64_t>(kLingerMs, self->worker_->limits().idle_timeout_ms));
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
