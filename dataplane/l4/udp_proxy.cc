#include "dataplane/l4/udp_proxy.h"

#include <cstring>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "dataplane/net/ip_text.h"
#include "dataplane/worker/worker.h"

namespace portico::dataplane {
namespace {

void AllocDatagram(uv_handle_t* handle, size_t, uv_buf_t* buf) {
  auto* worker = static_cast<Worker*>(handle->loop->data);
  *buf = uv_buf_init(worker->read_buffer(), Worker::kReadBufferSize);
}

std::string AddressKey(const sockaddr* addr) {
  sockaddr_storage copy{};
  bool v6 = addr->sa_family == AF_INET6;
  std::memcpy(&copy, addr, v6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in));
  uint16_t port = v6 ? ntohs(reinterpret_cast<const sockaddr_in6*>(addr)->sin6_port)
                     : ntohs(reinterpret_cast<const sockaddr_in*>(addr)->sin_port);
  return absl::StrCat(IpText(copy), "/", port);
}

}  // namespace

UdpListener::UdpListener(Worker* worker, EntrypointListener* entrypoint)
    : worker_(worker), entrypoint_(entrypoint) {
  uv_udp_init(worker->loop(), &socket_);
  socket_.data = this;
  if (int rc = uv_udp_open(&socket_, entrypoint->fd); rc != 0) {
    LogError("proxy", absl::StrCat("UDP entrypoint ", entrypoint->spec.name,
                                   ": cannot use its socket: ", uv_strerror(rc)));
  }
  gauge_ = L4Metrics::Process().OpenConnections("udp", entrypoint->spec.name);
}

void UdpListener::Start() {
  if (started_ || closing_) return;
  started_ = true;
  uv_udp_recv_start(&socket_, &AllocDatagram, &OnClientDatagram);
}

void UdpListener::OnClientDatagram(uv_udp_t* handle, ssize_t nread, const uv_buf_t* buf,
                                   const sockaddr* addr, unsigned) {
  auto* self = static_cast<UdpListener*>(handle->data);
  if (self->closing_ || nread < 0 || addr == nullptr) return;
  std::string key = AddressKey(addr);
  Session* session = nullptr;
  if (auto it = self->sessions_.find(key); it != self->sessions_.end()) {
    session = it->second;
  } else {
    session = self->NewSession(addr, key);
    if (session == nullptr) return;  // dropped: no route, no endpoint, or too many sessions
  }
  session->last_ms = uv_now(handle->loop);
  session->counters->bytes_from_client.fetch_add(static_cast<uint64_t>(nread),
                                                 std::memory_order_relaxed);
  uv_buf_t out = uv_buf_init(buf->base, static_cast<unsigned>(nread));
  // A full buffer drops it, as UDP may; an endpoint that is gone (an ICMP
  // error came back) ends the session: the next datagram picks again.
  int rc = uv_udp_try_send(&session->socket, &out, 1, nullptr);
  if (rc == UV_ECONNREFUSED || rc == UV_EHOSTUNREACH) self->CloseSession(session);
}

UdpListener::Session* UdpListener::NewSession(const sockaddr* client, const std::string& key) {
  const std::shared_ptr<const RuntimeConfig>& config = worker_->config();
  if (config == nullptr) return nullptr;
  const UdpAction* action = config->udp().For(entrypoint_->spec.name);
  if (action == nullptr) return nullptr;
  if (action->schedule == nullptr || sessions_.size() >= worker_->limits().udp_max_sessions) {
    action->counters->refused.fetch_add(1, std::memory_order_relaxed);
    return nullptr;
  }
  // The next backend in the schedule whose cluster has a ready endpoint.
  uint64_t& cursor = worker_->L4Cursor(action->cursor_key);
  const Cluster* cluster = nullptr;
  size_t picked = 0;
  for (size_t tries = 0; tries < action->clusters.size() && cluster == nullptr; ++tries) {
    picked = action->schedule->At(cursor++);
    cluster = config->cluster(action->clusters[picked]);
    if (cluster != nullptr && cluster->ready.empty()) cluster = nullptr;
  }
  if (cluster == nullptr) {
    action->counters->refused.fetch_add(1, std::memory_order_relaxed);
    return nullptr;
  }
  const Endpoint& endpoint =
      cluster->ready[worker_->L4Cursor(action->cluster_keys[picked])++ % cluster->ready.size()];
  auto* session = new Session{.owner = this,
                              .key = key,
                              .cluster = cluster->name,
                              .endpoint = endpoint.key,
                              .counters = action->counters};
  std::memcpy(&session->client, client,
              client->sa_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in));
  uv_udp_init(worker_->loop(), &session->socket);
  session->socket.data = session;
  uv_timer_init(worker_->loop(), &session->timer);
  session->timer.data = session;
  ++open_;
  sessions_.emplace(key, session);
  int rc = uv_udp_connect(&session->socket, reinterpret_cast<const sockaddr*>(&endpoint.address));
  if (rc == 0) rc = uv_udp_recv_start(&session->socket, &AllocDatagram, &OnBackendDatagram);
  if (rc != 0) {
    LogDebug("proxy",
             absl::StrCat("UDP route ", action->route, ": ", endpoint.key, ": ", uv_strerror(rc)));
    action->counters->refused.fetch_add(1, std::memory_order_relaxed);
    CloseSession(session);
    return nullptr;
  }
  action->counters->accepted.fetch_add(1, std::memory_order_relaxed);
  gauge_->fetch_add(1, std::memory_order_relaxed);
  session->counted = true;
  uv_timer_start(&session->timer, &OnIdle, worker_->limits().udp_timeout_ms, 0);
  return session;
}

void UdpListener::OnBackendDatagram(uv_udp_t* handle, ssize_t nread, const uv_buf_t* buf,
                                    const sockaddr* addr, unsigned) {
  auto* session = static_cast<Session*>(handle->data);
  UdpListener* self = session->owner;
  if (self->closing_) return;
  if (nread == UV_ECONNREFUSED || nread == UV_EHOSTUNREACH) {
    self->CloseSession(session);  // the endpoint is gone
    return;
  }
  if (nread < 0 || addr == nullptr) return;
  session->last_ms = uv_now(handle->loop);
  session->counters->bytes_to_client.fetch_add(static_cast<uint64_t>(nread),
                                               std::memory_order_relaxed);
  uv_buf_t out = uv_buf_init(buf->base, static_cast<unsigned>(nread));
  uv_udp_try_send(&self->socket_, &out, 1, reinterpret_cast<const sockaddr*>(&session->client));
}

// The timer is not re-armed per datagram: when it fires early it waits the
// rest of the timeout from the last datagram.
void UdpListener::OnIdle(uv_timer_t* timer) {
  auto* session = static_cast<Session*>(timer->data);
  UdpListener* self = session->owner;
  uint64_t timeout = self->worker_->limits().udp_timeout_ms;
  uint64_t idle = uv_now(timer->loop) - session->last_ms;
  if (idle < timeout) {
    uv_timer_start(timer, &OnIdle, timeout - idle, 0);
    return;
  }
  self->CloseSession(session);
}

void UdpListener::CloseSession(Session* session) {
  if (sessions_.erase(session->key) == 0) return;  // already closing
  if (session->counted) gauge_->fetch_sub(1, std::memory_order_relaxed);
  auto freed = [](uv_handle_t* h) {
    auto* s = static_cast<Session*>(h->data);
    if (--s->open_handles > 0) return;
    UdpListener* owner = s->owner;
    delete s;
    owner->HandleClosed();
  };
  uv_close(reinterpret_cast<uv_handle_t*>(&session->socket), freed);
  uv_close(reinterpret_cast<uv_handle_t*>(&session->timer), freed);
}

void UdpListener::OnConfig(const RuntimeConfig& config) {
  if (closing_ || sessions_.empty()) return;
  absl::flat_hash_map<std::string, absl::flat_hash_set<std::string>> ready;  // by cluster
  std::vector<Session*> gone;
  for (auto& [key, session] : sessions_) {
    auto [it, added] = ready.try_emplace(session->cluster);
    if (added) {
      if (const Cluster* cluster = config.cluster(session->cluster)) {
        for (const Endpoint& e : cluster->ready) it->second.insert(e.key);
      }
    }
    if (!it->second.contains(session->endpoint)) gone.push_back(session);
  }
  for (Session* session : gone) CloseSession(session);
}

void UdpListener::Close() {
  if (closing_) return;
  closing_ = true;
  std::vector<Session*> open;
  for (auto& [key, session] : sessions_) open.push_back(session);
  for (Session* session : open) CloseSession(session);
  uv_close(reinterpret_cast<uv_handle_t*>(&socket_),
           [](uv_handle_t* h) { static_cast<UdpListener*>(h->data)->HandleClosed(); });
}

void UdpListener::HandleClosed() {
  if (--open_ == 0) delete this;
}

}  // namespace portico::dataplane
