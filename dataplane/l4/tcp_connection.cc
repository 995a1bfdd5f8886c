// A TCP connection's life: accept, routing (the peek), middlewares, dialing
// a backend, close. The splice is in tcp_splice.cc.
#include "dataplane/l4/tcp_connection.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "dataplane/http/downstream_connection.h"
#include "dataplane/l4/in_flight_connections.h"
#include "dataplane/l4/proxy_protocol.h"
#include "dataplane/net/ip_text.h"
#include "dataplane/tls/client_hello.h"
#include "dataplane/worker/worker.h"

namespace portico::dataplane {
namespace {

// Peeked bytes beyond a whole ClientHello's records are never needed.
constexpr size_t kMaxPeekBytes = kMaxClientHelloBytes + 1024;
// Endpoints tried for one connection when dials fail.
constexpr int kMaxDialAttempts = 8;
// TCP keep-alive idle time on client sockets (Traefik's default).
constexpr unsigned kClientKeepAliveSeconds = 15;

}  // namespace

TcpConnection::TcpConnection(Worker* worker, EntrypointListener* entrypoint)
    : worker_(worker),
      entrypoint_(entrypoint),
      config_(worker->config()),
      routing_(config_->tcp().shared_from_this()) {
  client_.owner = this;
  client_.client = true;
  backend_.owner = this;
  client_.tcp = new uv_tcp_t;
  uv_tcp_init(worker->loop(), client_.tcp);
  client_.tcp->data = this;
  uv_timer_init(worker->loop(), &timer_);
  timer_.data = this;
  uv_timer_init(worker->loop(), &guard_);
  guard_.data = this;
  open_handles_ = 3;
}

TcpConnection::~TcpConnection() = default;

void TcpConnection::Accept(Worker* worker, EntrypointListener* entrypoint, uv_stream_t* listener) {
  auto* conn = new TcpConnection(worker, entrypoint);
  if (uv_accept(listener, reinterpret_cast<uv_stream_t*>(conn->client_.tcp)) != 0) {
    conn->Close();
    return;
  }
  if (ConnectionGauge* gauge = entrypoint->connections; gauge != nullptr) {
    conn->counted_ = true;
    if (gauge->open.fetch_add(1, std::memory_order_relaxed) >= entrypoint->spec.max_connections) {
      entrypoint->counters->CountRefusedConnection();
      conn->Close();
      return;
    }
  }
  conn->Start();
}

void TcpConnection::Start() {
  int len = sizeof peer_;
  if (uv_tcp_getpeername(client_.tcp, reinterpret_cast<sockaddr*>(&peer_), &len) != 0) {
    Close();
    return;
  }
  len = sizeof local_;
  uv_tcp_getsockname(client_.tcp, reinterpret_cast<sockaddr*>(&local_), &len);
  client_ip_ = IpText(peer_);
  uv_tcp_nodelay(client_.tcp, 1);
  uv_tcp_keepalive(client_.tcp, 1, kClientKeepAliveSeconds);
  worker_->RegisterTcp(this);
  registered_ = true;
  TcpRouting::EntrypointUse use = routing_->For(entrypoint_->spec.name);
  if (!use.tls) {
    // Plain routes only: route on the address alone, before any byte (the
    // server may speak first).
    MatchInput input{.peer = reinterpret_cast<const sockaddr*>(&peer_)};
    const TcpAction* action = routing_->MatchPlain(input, entrypoint_->spec.name);
    if (action == nullptr) {
      ToHttp();
      return;
    }
    Take(action);
    return;
  }
  ArmTimer(TimerRole::kPeek, worker_->limits().tcp_peek_timeout_ms);
  StartReading(client_);
}

// Collects the first bytes until they tell TLS from plaintext and, for TLS,
// hold the whole ClientHello.
void TcpConnection::OnPeekBytes(const char* data, size_t len) {
  peeked_.append(data, len);
  const TcpRouting& tcp = *routing_;
  const std::string& ep = entrypoint_->spec.name;
  MatchInput input{.peer = reinterpret_cast<const sockaddr*>(&peer_)};
  if (!LooksLikeTls(peeked_[0])) {
    const TcpAction* action = tcp.MatchPlain(input, ep);
    if (action == nullptr) {
      ToHttp();
      return;
    }
    Take(action);
    return;
  }
  if (peeked_.size() > kMaxPeekBytes) {
    Refuse("ClientHello too large");
    return;
  }
  // Parsed again only when a record completes: a client trickling tiny
  // records must not make each read cost the whole prefix.
  if (!RecordCompleted()) return;
  ClientHello hello;
  std::string why;
  switch (ParseClientHello(peeked_, &hello, &why)) {
    case HelloStatus::kIncomplete:
      return;
    case HelloStatus::kInvalid:
      LogDebug("proxy", absl::StrCat("TCP: closing connection from ", client_ip_, ": ", why));
      Close();
      return;
    case HelloStatus::kComplete:
      break;
  }
  std::vector<std::string_view> alpn(hello.alpn.begin(), hello.alpn.end());
  input.host = hello.server_name;
  input.alpn = alpn;
  const TcpAction* action = tcp.MatchTls(input, ep);
  if (action == nullptr) {
    ToHttp();  // HTTPS, when the entrypoint terminates TLS for HTTP
    return;
  }
  server_name_ = std::move(hello.server_name);
  Take(action);
}

// Advances over the TLS records the last read completed (the record header
// is 5 bytes, its last two the length).
bool TcpConnection::RecordCompleted() {
  bool completed = false;
  while (peeked_records_ + 5 <= peeked_.size()) {
    size_t len = (static_cast<uint8_t>(peeked_[peeked_records_ + 3]) << 8) |
                 static_cast<uint8_t>(peeked_[peeked_records_ + 4]);
    if (peeked_records_ + 5 + len > peeked_.size()) break;
    peeked_records_ += 5 + len;
    completed = true;
  }
  return completed;
}

// No byte in time: a plain route may still take it (a server-first
// protocol on an entrypoint that also has TLS routes); anything else is a
// client too slow to say what it wants.
void TcpConnection::OnPeekTimeout() {
  if (peeked_.empty()) {
    MatchInput input{.peer = reinterpret_cast<const sockaddr*>(&peer_)};
    if (const TcpAction* action = routing_->MatchPlain(input, entrypoint_->spec.name)) {
      Take(action);
      return;
    }
  }
  LogDebug("proxy", absl::StrCat("TCP: ", client_ip_, " sent no routable bytes in time: closing"));
  Close();
}

// The HTTP code takes the socket over (a duplicate of its descriptor) with
// the bytes read so far and this connection's slot of the entrypoint. It
// is adopted before this one closes: while draining, the worker would
// otherwise see no connection left and shut down in between.
void TcpConnection::ToHttp() {
  StopReading(client_);
  uv_os_fd_t fd = -1;
  int copy = uv_fileno(reinterpret_cast<uv_handle_t*>(client_.tcp), &fd) == 0
                 ? ::fcntl(fd, F_DUPFD_CLOEXEC, 0)
                 : -1;
  if (copy < 0) {
    Close();
    return;
  }
  bool counted = std::exchange(counted_, false);
  std::string peeked = std::move(peeked_);
  DownstreamConnection::Adopt(worker_, entrypoint_, copy, peeked, counted);
  Close();
}

void TcpConnection::Take(const TcpAction* action) {
  action_ = action;
  uv_timer_stop(&timer_);
  timer_role_ = TimerRole::kNone;
  StopReading(client_);
  if (!RunMiddlewares()) return;
  if (action->schedule == nullptr) {
    Refuse("the route has no backend with weight");
    return;
  }
  // The next backend in the schedule whose cluster has a ready endpoint.
  uint64_t& cursor = worker_->L4Cursor(action->cursor_key);
  const TcpBackend* backend = nullptr;
  for (size_t tries = 0; tries < action->scheduled.size() && backend == nullptr; ++tries) {
    size_t index = action->scheduled[action->schedule->At(cursor++)];
    const Cluster* cluster = config_->cluster(action->backends[index].cluster);
    if (cluster == nullptr || cluster->ready.empty()) continue;
    backend_index_ = index;
    backend = &action->backends[index];
    cluster_ = cluster;
  }
  if (backend == nullptr) {
    Refuse("no ready endpoint");
    return;
  }
  transport_ = backend->transport;
  endpoint_cursor_ = worker_->L4Cursor(backend->cursor_key)++;
  if (entrypoint_->l4_open == nullptr) {
    entrypoint_->l4_open = L4Metrics::Process().OpenConnections("tcp", entrypoint_->spec.name);
  }
  open_gauge_ = entrypoint_->l4_open;
  open_gauge_->fetch_add(1, std::memory_order_relaxed);
  action->counters->bytes_from_client.fetch_add(peeked_.size(), std::memory_order_relaxed);
  phase_ = Phase::kDialing;
  if (action->tls == TcpTlsMode::kTerminate) {
    // The dial timer may run meanwhile: the handshake has its own deadline.
    ArmGuard(GuardRole::kClientHandshake, worker_->limits().tcp_peek_timeout_ms);
    StartClientTls();
  }
  if (closing_) return;
  // The peeked bytes go first; passthrough and plain routes send them as read.
  if (action->tls != TcpTlsMode::kTerminate) backend_.waiting = std::move(peeked_);
  Dial();
}

bool TcpConnection::RunMiddlewares() {
  for (const TcpMiddlewareSpec* m : action_->middlewares) {
    if (m->ip_allow_list.has_value() &&
        !m->ip_allow_list->Contains(reinterpret_cast<const sockaddr*>(&peer_))) {
      Refuse("not in ipAllowList");
      return false;
    }
    if (m->in_flight_conn > 0) {
      if (!InFlightConnections::Process().Acquire(m->name, client_ip_, m->in_flight_conn)) {
        Refuse("inFlightConn limit reached");
        return false;
      }
      in_flight_held_.push_back(m);
    }
  }
  return true;
}

void TcpConnection::Refuse(const char* why) {
  if (action_ != nullptr) action_->counters->refused.fetch_add(1, std::memory_order_relaxed);
  LogDebug("proxy",
           absl::StrCat("TCP: closing connection from ", client_ip_,
                        action_ != nullptr ? " (route " + action_->route + ")" : "", ": ", why));
  Close();
}

void TcpConnection::Dial() {
  const std::vector<Endpoint>& ready = cluster_->ready;
  const Endpoint& endpoint =
      ready[(endpoint_cursor_ + static_cast<size_t>(dial_attempts_)) % ready.size()];
  ++dial_attempts_;
  endpoint_key_ = endpoint.key;
  backend_.tcp = new uv_tcp_t;
  uv_tcp_init(worker_->loop(), backend_.tcp);
  backend_.tcp->data = this;
  ++open_handles_;
  auto* req = new uv_connect_t;
  req->data = this;
  int rc = uv_tcp_connect(req, backend_.tcp, reinterpret_cast<const sockaddr*>(&endpoint.address),
                          [](uv_connect_t* r, int status) {
                            auto* self = static_cast<TcpConnection*>(r->data);
                            delete r;
                            if (status == UV_ECANCELED) return;
                            self->OnDialed(status);
                          });
  if (rc != 0) {
    delete req;
    DialFailed(uv_strerror(rc));
    return;
  }
  ArmTimer(TimerRole::kDial, transport_->dial_timeout_ms);
}

void TcpConnection::OnDialed(int status) {
  if (closing_) return;
  if (status != 0) {
    DialFailed(uv_strerror(status));
    return;
  }
  OnBackendTcpOpen();  // the dial timer runs on through a TLS handshake
}

// Tries the cluster's next endpoint, a bounded number of times.
void TcpConnection::DialFailed(const char* why) {
  LogDebug("proxy",
           absl::StrCat("TCP route ", action_->route, ": dial ", endpoint_key_, " failed: ", why));
  uv_timer_stop(&timer_);
  timer_role_ = TimerRole::kNone;
  CloseHandle(reinterpret_cast<uv_handle_t*>(backend_.tcp));
  backend_.tcp = nullptr;
  if (dial_attempts_ >= std::min<int>(kMaxDialAttempts, static_cast<int>(cluster_->ready.size()))) {
    Refuse("no endpoint accepted the connection");
    return;
  }
  Dial();
}

void TcpConnection::OnBackendTcpOpen() {
  uv_tcp_nodelay(backend_.tcp, 1);
  if (transport_->keep_alive_ms > 0) {
    uv_tcp_keepalive(
        backend_.tcp, 1,
        static_cast<unsigned>(std::max<uint64_t>(1, transport_->keep_alive_ms / 1000)));
  }
  phase_ = Phase::kSplicing;
  if (transport_->proxy_protocol != 0) {
    SendRaw(backend_, ProxyProtocolHeader(transport_->proxy_protocol, peer_, local_));
    if (closing_) return;
  }
  const TcpBackend& backend = action_->backends[backend_index_];
  if (!backend.tls) {
    OnBackendReady();
    return;
  }
  UpdateReading();
  const UpstreamTlsContext& context = *transport_->tls;
  std::string ip = endpoint_key_.substr(0, endpoint_key_.rfind(':'));
  if (ip.size() > 2 && ip.front() == '[') ip = ip.substr(1, ip.size() - 2);
  SslPtr ssl = context.NewSsl(context.PeerName("", ip));
  if (ssl == nullptr) {
    Refuse("cannot create a TLS session for the backend");
    return;
  }
  backend_.ssl = ssl.get();
  backend_.tls = std::make_unique<TlsConnection>(std::move(ssl), nullptr);
  OnBytes(backend_, nullptr, 0);  // sends the ClientHello
}

void TcpConnection::OnBackendReady() {
  uv_timer_stop(&timer_);
  timer_role_ = TimerRole::kNone;
  // Counted only now: a backend handshake that fails is refused instead.
  action_->counters->accepted.fetch_add(1, std::memory_order_relaxed);
  // No more dials: a long-lived connection must not keep a whole config
  // (clusters, HTTP routes, certificates) alive, only the TCP routing.
  cluster_ = nullptr;
  config_.reset();
  backend_ready_ = true;
  OnSideReady(backend_);
}

void TcpConnection::ArmTimer(TimerRole role, uint64_t ms) {
  timer_role_ = role;
  uv_timer_start(&timer_, &OnTimer, ms, 0);
}

void TcpConnection::OnTimer(uv_timer_t* timer) {
  auto* self = static_cast<TcpConnection*>(timer->data);
  if (self->closing_) return;
  switch (std::exchange(self->timer_role_, TimerRole::kNone)) {
    case TimerRole::kPeek:
      self->OnPeekTimeout();
      break;
    case TimerRole::kDial:
      if (self->phase_ == Phase::kSplicing) {
        self->Refuse("TLS handshake with the backend timed out");
      } else {
        self->DialFailed("timeout");
      }
      break;
    case TimerRole::kTermination:
      self->OnTerminationDelay();
      break;
    case TimerRole::kNone:
      break;
  }
}

void TcpConnection::ArmGuard(GuardRole role, uint64_t ms) {
  guard_role_ = role;
  uv_timer_start(&guard_, &OnGuardTimer, ms, 0);
}

void TcpConnection::StopGuard() {
  guard_role_ = GuardRole::kNone;
  uv_timer_stop(&guard_);
}

void TcpConnection::OnGuardTimer(uv_timer_t* timer) {
  auto* self = static_cast<TcpConnection*>(timer->data);
  if (self->closing_) return;
  switch (std::exchange(self->guard_role_, GuardRole::kNone)) {
    case GuardRole::kClientHandshake:
      LogDebug("proxy", absl::StrCat("TCP route ", self->action_->route, ": ", self->client_ip_,
                                     " did not finish its TLS handshake in time: closing"));
      self->Close();
      break;
    case GuardRole::kWriteStall:
      LogDebug("proxy", absl::StrCat("TCP route ", self->action_->route,
                                     ": a peer stopped reading the last bytes: closing"));
      self->Close();
      break;
    case GuardRole::kNone:
      break;
  }
}

void TcpConnection::CloseHandle(uv_handle_t* handle) {
  handle->data = this;
  uv_close(handle, [](uv_handle_t* h) {
    auto* self = static_cast<TcpConnection*>(h->data);
    if (h != reinterpret_cast<uv_handle_t*>(&self->timer_) &&
        h != reinterpret_cast<uv_handle_t*>(&self->guard_)) {
      delete reinterpret_cast<uv_tcp_t*>(h);
    }
    if (--self->open_handles_ == 0) delete self;
  });
}

void TcpConnection::Close() {
  if (closing_) return;
  if (action_ != nullptr && client_.queued_seen > 0) CountSentToClient();
  closing_ = true;
  for (const TcpMiddlewareSpec* m : in_flight_held_) {
    InFlightConnections::Process().Release(m->name, client_ip_);
  }
  in_flight_held_.clear();
  if (open_gauge_ != nullptr) open_gauge_->fetch_sub(1, std::memory_order_relaxed);
  if (counted_) entrypoint_->connections->open.fetch_sub(1, std::memory_order_relaxed);
  counted_ = false;
  if (registered_) worker_->UnregisterTcp(this);
  registered_ = false;
  uv_timer_stop(&timer_);
  uv_timer_stop(&guard_);
  if (backend_.tcp != nullptr) CloseHandle(reinterpret_cast<uv_handle_t*>(backend_.tcp));
  CloseHandle(reinterpret_cast<uv_handle_t*>(client_.tcp));
  CloseHandle(reinterpret_cast<uv_handle_t*>(&timer_));
  CloseHandle(reinterpret_cast<uv_handle_t*>(&guard_));
}

}  // namespace portico::dataplane
