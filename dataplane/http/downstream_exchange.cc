// Proxying one exchange: route, pick, forward, stream the response back,
// answer locally, retry; and the tunnel an upgrade turns the connection into.
#include <algorithm>

#include "dataplane/http/downstream_connection.h"
#include "dataplane/http/downstream_internal.h"
#include "dataplane/http/mirror_request.h"
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
  const RouteAction* action = ex_->config->action(route->action);
  if (action == nullptr || action->backend == nullptr || !action->refusal.empty()) {
    std::string why = action == nullptr || action->refusal.empty()
                          ? std::string("the route's backend service is not available")
                          : action->refusal;
    RespondLocally(503, why + "\n");
    return;
  }
  ex_->action = action;
  ex_->attempts = 0;
  ex_->tried.clear();
  ex_->replay.clear();
  ex_->replayable = true;
  if (action->total_timeout_ms != 0) {
    ex_->deadline_ms = uv_now(worker_->loop()) + action->total_timeout_ms;
    ArmExchangeTimer();
  }
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
          .trusted_peer = trusted_peer_,
          .host_override = ex_ != nullptr && ex_->picked.rewrite_host && ex_->picked.endpoint != nullptr
                               ? std::string_view(ex_->picked.endpoint->key)
                               : std::string_view()};
}

void DownstreamConnection::FlushUpstream() {
  std::string& out = worker_->upstream_out();
  if (upstream_ != nullptr && !out.empty()) upstream_->Write(out);
  out.clear();
  if (upstream_ != nullptr && upstream_->write_queue_size() > worker_->limits().write_high_water) {
    PauseReading();
  }
}

namespace {

// The request's headers, as pickers read them (hash keys, sticky cookies).
class RequestHeaderLookup final : public HeaderLookup {
 public:
  explicit RequestHeaderLookup(const HeaderList& headers) : headers_(headers) {}
  std::string_view Get(std::string_view lower_name) const override {
    const std::string* value = FindHeader(headers_, lower_name);
    return value == nullptr ? std::string_view() : std::string_view(*value);
  }

 private:
  const HeaderList& headers_;
};

}  // namespace

bool DownstreamConnection::ConnectUpstream() {
  const RouteAction& action = *ex_->action;
  RequestHeaderLookup headers(ex_->request.headers);
  PickRequest pick{.now_ms = uv_now(worker_->loop()),
                   .client_ip = client_ip_,
                   .path = ex_->request.path,
                   .headers = &headers};
  ex_->picked = worker_->picker().Pick(*action.backend, pick);
  // A retry avoids the endpoints this request already failed on, as far as
  // a few more picks can (other requests move the rotation meanwhile; a
  // hash keeps choosing the same one, which is then tried again).
  for (int extra = 0; extra < kRetryRepicks && ex_->picked.endpoint != nullptr &&
                      std::find(ex_->tried.begin(), ex_->tried.end(), ex_->picked.endpoint) !=
                          ex_->tried.end();
       ++extra) {
    worker_->EndPick(ex_->picked, PickOutcome::kUnjudged);
    ex_->picked = worker_->picker().Pick(*action.backend, pick);
  }
  if (ex_->picked.endpoint == nullptr) {
    RespondLocally(503, "no endpoint available for this service\n");
    return false;
  }
  if (ex_->attempts++ == 0) ex_->mirrors = std::move(ex_->picked.mirrors);
  ex_->tried.push_back(ex_->picked.endpoint);
  const Endpoint& endpoint = *ex_->picked.endpoint;
  // Over TLS, the name presented and verified follows the Host sent.
  std::string_view host = ex_->picked.rewrite_host ? std::string_view(endpoint.key)
                                                   : std::string_view(ex_->request.host);
  upstream_ = UpstreamConnection::Acquire(worker_, endpoint, ex_->picked.tls, host, this,
                                          action.connect_timeout_ms);
  upstream_->ExpectResponse(ex_->request.method == "HEAD", ex_->request.upgrade,
                            action.response_header_timeout_ms);
  return true;
}

// Mirrors get the request once it is whole: head and body as sent to the
// main service (the body from the replay buffer, so at most
// kMaxReplayBytes, and within the mirror's maxBodySize). A body that cannot
// go along skips the mirror rather than sending a truncated copy.
void DownstreamConnection::SendMirrors() {
  std::vector<MirrorPlan> mirrors = std::move(ex_->mirrors);
  ex_->mirrors.clear();
  const RequestHead& request = ex_->request;
  RequestHeaderLookup headers(request.headers);
  PickRequest pick{.now_ms = uv_now(worker_->loop()),
                   .client_ip = client_ip_,
                   .path = request.path,
                   .headers = &headers};
  for (const MirrorPlan& plan : mirrors) {
    if (request.has_body) {
      bool fits = ex_->replayable && plan.body.mirror_body &&
                  (plan.body.max_body_size < 0 ||
                   ex_->replay.size() <= static_cast<size_t>(plan.body.max_body_size));
      if (!fits) {
        worker_->CountMirrorSkipped();
        continue;
      }
    }
    Picked picked = worker_->picker().Pick(*plan.service, pick);
    if (picked.endpoint == nullptr) {
      worker_->CountMirrorSkipped();
      continue;
    }
    // The mirror's own passHostHeader decides its Host (and so the name
    // its TLS presents and verifies), not the main service's.
    ForwardingInfo forwarding = Forwarding();
    forwarding.host_override =
        picked.rewrite_host ? std::string_view(picked.endpoint->key) : std::string_view();
    std::string copy;
    SerializeUpstreamRequest(request, forwarding, &copy);
    copy.append(ex_->replay);
    // Both outlive Start: the endpoint is the config's, the host this request's.
    std::string_view host =
        forwarding.host_override.empty() ? std::string_view(request.host) : forwarding.host_override;
    MirrorRequest::Start(worker_, std::move(picked), std::move(copy), host,
                         request.method == "HEAD");
  }
}

void DownstreamConnection::EndAttempt(PickOutcome outcome) {
  if (ex_ != nullptr) worker_->EndPick(ex_->picked, outcome);
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
  bool stale = error == UpstreamError::kReset && reused;
  EndAttempt(CountsAgainstEndpoint(error, reused) ? PickOutcome::kFailure
                                                  : PickOutcome::kUnjudged);
  if (response_status_ != 0) {
    Close();  // part of the response is already with the client
    return;
  }
  if (phase_ != Phase::kProxying) return;
  uint64_t backoff_ms = 0;
  if (RetryAllowed(error, stale, &backoff_ms)) {
    if (backoff_ms == 0) {
      Retry();
    } else {
      ex_->retry_at_ms = uv_now(worker_->loop()) + backoff_ms;
      ArmExchangeTimer();
    }
    return;
  }
  int status = error == UpstreamError::kResponseTimeout ? 504 : 502;
  std::string_view why =
      error == UpstreamError::kConnectFailed     ? "cannot connect to the backend\n"
      : IsTlsFailure(error)
          ? "TLS to the backend failed (handshake or certificate verification)\n"
      : error == UpstreamError::kResponseTimeout ? "the backend did not answer in time\n"
      : error == UpstreamError::kBadResponse     ? "the backend sent an invalid response\n"
                                                 : "the backend closed the connection\n";
  RespondLocally(status, why);
}

// Retries go to a freshly picked endpoint and only when they are safe: the
// whole request so far can be replayed, and either nothing reached the
// backend (a failed connect) or the method is idempotent (or the route's
// retry middleware allows any method). Without a retry middleware, only
// failed connects and stale pooled connections are retried, at once.
bool DownstreamConnection::RetryAllowed(UpstreamError error, bool stale, uint64_t* backoff_ms) {
  if (!ex_->replayable) return false;
  const std::optional<RetrySpec>& policy = ex_->action->retry;
  int max_attempts = policy ? static_cast<int>(policy->attempts) : kMaxConnectAttempts;
  if (stale) return ex_->attempts <= max_attempts;  // not the backend's fault: one more
  if (ex_->attempts >= max_attempts) return false;
  if (!policy) return IsConnectFailure(error);
  if (policy->disable_on_network_error) return false;
  if (!IsConnectFailure(error) && !policy->retry_non_idempotent &&
      !IsIdempotent(ex_->request.method)) {
    return false;
  }
  // Exponential backoff from the initial interval, within the deadline.
  uint64_t backoff = policy->initial_interval_ms;
  for (int i = 1; i < ex_->attempts && backoff != 0 && backoff < kMaxRetryBackoffMs; ++i) {
    backoff *= 2;
  }
  backoff = std::min(backoff, kMaxRetryBackoffMs);
  if (ex_->deadline_ms != 0 && uv_now(worker_->loop()) + backoff >= ex_->deadline_ms) return false;
  *backoff_ms = backoff;
  return true;
}

void DownstreamConnection::Retry() {
  ex_->retry_at_ms = 0;
  if (!ConnectUpstream()) return;
  std::string again;
  SerializeUpstreamRequest(ex_->request, Forwarding(), &again);
  again.append(ex_->replay);
  upstream_->Write(again);
}

// One timer serves the exchange's deadline (total timeout, until the
// response head) and a retry's backoff: it is set for the earlier.
void DownstreamConnection::ArmExchangeTimer() {
  uint64_t next = ex_->deadline_ms;
  if (ex_->retry_at_ms != 0 && (next == 0 || ex_->retry_at_ms < next)) next = ex_->retry_at_ms;
  if (next == 0) {
    if (timer_role_ == TimerRole::kExchange) {
      timer_.Disarm();
      timer_role_ = TimerRole::kNone;
    }
    return;
  }
  uint64_t now = uv_now(worker_->loop());
  ArmTimer(TimerRole::kExchange, next > now ? next - now : 0);
}

void DownstreamConnection::OnExchangeTimer() {
  timer_role_ = TimerRole::kNone;
  if (ex_ == nullptr || phase_ != Phase::kProxying || response_status_ != 0) return;
  uint64_t now = uv_now(worker_->loop());
  if (ex_->deadline_ms != 0 && now >= ex_->deadline_ms) {
    ex_->retry_at_ms = 0;
    ex_->deadline_ms = 0;
    if (upstream_ != nullptr) {
      upstream_->Close();  // mid-request: its state is unknown
      upstream_ = nullptr;
    }
    EndAttempt(PickOutcome::kFailure);
    RespondLocally(504, "the backend did not answer in time\n");
    return;
  }
  if (ex_->retry_at_ms != 0 && now >= ex_->retry_at_ms) Retry();
  if (ex_ != nullptr && phase_ == Phase::kProxying) ArmExchangeTimer();
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
    ex_->deadline_ms = 0;
    ArmExchangeTimer();
    std::string switching;
    SerializeClientResponse(head, ResponseFraming::kAsIs, true, 1, &switching);
    WriteToClient(switching);
    return;
  }
  response_status_ = head.status;
  Count(head.status);
  // Judged now, reported when the response ends (requests in flight count
  // until then for least requests).
  ex_->verdict = head.status >= 500 ? PickOutcome::kFailure : PickOutcome::kSuccess;
  ex_->deadline_ms = 0;
  ArmExchangeTimer();
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
                          ClientOut(),
                          ex_->picked.set_cookies.empty() ? nullptr : &ex_->picked.set_cookies);
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
  EndAttempt(PickOutcome::kSuccess);
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
  EndAttempt(ex_->verdict);
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
  EndAttempt(ex_->verdict);
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
