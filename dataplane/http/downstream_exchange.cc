// Proxying one exchange: route, pick, forward, stream the response back,
// answer locally, retry; and the tunnel an upgrade turns the connection into.
#include <algorithm>

#include "dataplane/http/downstream_connection.h"
#include "dataplane/http/downstream_internal.h"
#include "dataplane/worker/worker.h"

namespace portico::dataplane {

using namespace downstream;  // NOLINT: this class's own constants and helpers

void DownstreamConnection::StartRequest() {
  ex_->config = worker_->config();
  if (Misdirected(ex_->request.host)) {
    RespondLocally(421, "the Host header does not match the TLS server name\n");
    return;
  }
  if (ex_->config == nullptr) {
    RespondLocally(503, "no configuration received yet\n");
    return;
  }
  // A route with TLS serves only requests that came over TLS, and one
  // without only plaintext ones (Traefik's routers).
  const RouteTable& table = tls_ == nullptr ? ex_->config->routes() : ex_->config->tls_routes();
  const RequestHead& request = ex_->request;
  std::string_view target = request.target;
  size_t question = target.find('?');
  std::string_view query =
      question == std::string_view::npos ? std::string_view() : target.substr(question + 1);
  query = query.substr(0, query.find('#'));
  const Route* route = table.Match(MatchInput{
      .method = request.method,
      .host = request.host,
      .path = request.path,
      .query = query,
      .headers = &request.headers,
      .peer = peer_.ss_family == AF_UNSPEC ? nullptr : reinterpret_cast<const sockaddr*>(&peer_),
      .alpn = {}},
      entrypoint_->spec.name);
  if (route == nullptr) {
    RespondLocally(404, "no route matches this request\n");
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
          .proto = tls_ == nullptr ? "http" : "https",
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

void DownstreamConnection::OnUpstreamComplete(bool reusable, const HeaderList& trailers) {
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

}  // namespace portico::dataplane
