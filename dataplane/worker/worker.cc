#include "dataplane/worker/worker.h"

#include <unistd.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/deferred_release.h"
#include "common/log.h"
#include "dataplane/http/downstream_connection.h"
#include "dataplane/http/mirror_request.h"
#include "dataplane/l4/tcp_connection.h"
#include "dataplane/l4/udp_proxy.h"

namespace portico::dataplane {
namespace {

DeferredRelease& ConfigReaper() {
  static DeferredRelease reaper;  // shared by every worker of the process
  return reaper;
}

// A service no request used for this long, with none in flight, is
// forgotten by the picker when the next config arrives.
constexpr uint64_t kIdleServiceMs = 5 * 60 * 1000;
// Round-robin cursors of TCP and UDP routing kept before they are reset.
constexpr size_t kMaxL4Cursors = 16 * 1024;

}  // namespace

Worker::Worker(int index, ProxyLimits limits, std::vector<EntrypointListener> listeners)
    : index_(index),
      limits_(limits),
      listeners_(std::move(listeners)),
      read_buffer_(new char[kReadBufferSize]),
      pool_(limits.max_idle_per_endpoint),
      picker_(limits.passive_health, static_cast<uint64_t>(index) + 1) {
  uv_loop_init(&loop_);
  loop_.data = this;
  uv_async_init(&loop_, &async_, &OnAsync);
  async_.data = this;
  uv_timer_init(&loop_, &grace_timer_);
  grace_timer_.data = this;
  for (EntrypointListener& l : listeners_) l.worker = this;
}

Worker::~Worker() {
  Join();
  for (EntrypointListener& l : listeners_) {
    if (l.handle == nullptr && l.udp == nullptr && l.fd >= 0) ::close(l.fd);
  }
  // Close whatever the loop never started (a worker constructed, not run).
  uv_walk(
      &loop_,
      [](uv_handle_t* h, void*) {
        if (!uv_is_closing(h)) uv_close(h, nullptr);
      },
      nullptr);
  uv_run(&loop_, UV_RUN_DEFAULT);
  uv_loop_close(&loop_);
}

void Worker::Start() {
  for (EntrypointListener& l : listeners_) {
    if (l.spec.udp) {
      l.udp = new UdpListener(this, &l);
      continue;
    }
    l.handle = new uv_tcp_t;
    uv_tcp_init(&loop_, l.handle);
    l.handle->data = &l;
    if (int rc = uv_tcp_open(l.handle, l.fd); rc != 0) {
      LogError("proxy", absl::StrCat("worker ", index_, ": cannot use the socket of entrypoint ",
                                     l.spec.name, ": ", uv_strerror(rc)));
    }
  }
  // A config posted before Start is in force from the first request.
  {
    std::lock_guard lock(mu_);
    if (pending_config_ != nullptr) config_ = std::move(pending_config_);
  }
  if (config_ != nullptr) Listen();
  thread_ = std::thread([this] { Run(); });
}

// The entrypoints' sockets are bound from the start but listen only once a
// config is in force: before that a connection is refused (a client or a
// load balancer tries elsewhere) rather than answered 404 or 503.
void Worker::Listen() {
  listening_ = true;
  for (EntrypointListener& l : listeners_) {
    if (l.udp != nullptr) l.udp->Start();
    if (l.handle == nullptr) continue;
    int rc = uv_listen(reinterpret_cast<uv_stream_t*>(l.handle), 1024, &OnConnection);
    if (rc != 0) {
      LogError("proxy", absl::StrCat("worker ", index_, ": cannot listen for entrypoint ",
                                     l.spec.name, ": ", uv_strerror(rc)));
    }
  }
}

void Worker::Run() { uv_run(&loop_, UV_RUN_DEFAULT); }

void Worker::Join() {
  if (thread_.joinable()) thread_.join();
}

void Worker::PostConfig(std::shared_ptr<const RuntimeConfig> config) {
  {
    std::lock_guard lock(mu_);
    pending_config_ = std::move(config);
  }
  uv_async_send(&async_);
}

void Worker::Stop(uint64_t grace_ms) {
  {
    std::lock_guard lock(mu_);
    stop_requested_ = true;
    grace_ms_ = grace_ms;
  }
  uv_async_send(&async_);
}

void Worker::OnAsync(uv_async_t* handle) {
  auto* self = static_cast<Worker*>(handle->data);
  std::shared_ptr<const RuntimeConfig> config;
  std::vector<EjectionNotice> ejections;
  std::shared_ptr<const ActiveHealthView> health;
  bool health_posted = false;
  bool stop = false;
  {
    std::lock_guard lock(self->mu_);
    config = std::move(self->pending_config_);
    ejections.swap(self->pending_ejections_);
    health = std::move(self->pending_health_);
    health_posted = std::exchange(self->health_posted_, false);
    stop = self->stop_requested_;
  }
  uint64_t now = uv_now(&self->loop_);
  for (const EjectionNotice& e : ejections) {
    self->picker_.ApplyEjection(e.cluster, e.endpoint, e.cluster_size, e.until_ms, now,
                                e.passive ? &*e.passive : nullptr);
  }
  if (health_posted) self->picker_.SetActiveHealth(std::move(health));
  // The old config lives on in the requests that snapped it.
  if (config != nullptr) {
    // The config it replaces is freed off the loop when this worker held
    // its last reference: at 10 000 routes that takes milliseconds every
    // connection of the worker would otherwise wait through.
    ConfigReaper().Release(std::exchange(self->config_, std::move(config)));
    if (!self->listening_ && !self->draining_ && !stop) self->Listen();
    for (EntrypointListener& l : self->listeners_) {
      if (l.udp != nullptr) l.udp->OnConfig(*self->config_);
    }
    // Balancing state of services that left the config (idle since).
    self->picker_.SweepIdle(now, kIdleServiceMs);
    // Cursors of routes and clusters long gone: only bounded, since
    // clearing them on every config would restart every worker's round
    // robin at the first backend after each endpoint change.
    if (self->l4_cursors_.size() > kMaxL4Cursors) self->l4_cursors_.clear();
  }
  if (stop && !self->draining_) self->BeginDrain();
}

void Worker::OnConnection(uv_stream_t* server, int status) {
  auto* listener = static_cast<EntrypointListener*>(server->data);
  if (status != 0) return;
  Worker* worker = listener->worker;
  // TCP routes come before HTTP ones on an entrypoint they serve.
  const std::shared_ptr<const RuntimeConfig>& config = worker->config();
  if (config != nullptr && !config->tcp().empty()) {
    TcpRouting::EntrypointUse use = config->tcp().For(listener->spec.name);
    if (use.tls || use.plain) {
      TcpConnection::Accept(worker, listener, server);
      return;
    }
  }
  DownstreamConnection::Accept(worker, listener, server);
}

void Worker::EndPick(Picked& picked, PickOutcome outcome) {
  if (picked.state == nullptr) return;
  uint64_t now = uv_now(&loop_);
  EndResult end = picker_.End(picked, outcome, now);
  picked.state = nullptr;
  if (end.ejected_until == 0) return;
  ejections_.fetch_add(1, std::memory_order_relaxed);
  LogWarn("proxy", absl::StrCat("endpoint ", std::string(end.endpoint), " of ",
                                std::string(end.cluster),
                                " failed repeatedly: out of rotation for ",
                                end.ejected_until - now, " ms"));
  for (Worker* sibling : siblings_) {
    if (sibling == this) continue;
    sibling->PostEjection({.cluster = std::string(end.cluster),
                           .endpoint = std::string(end.endpoint),
                           .cluster_size = end.cluster_size,
                           .until_ms = end.ejected_until,
                           .passive = end.passive ? std::optional(*end.passive) : std::nullopt});
  }
}

void Worker::PostHealth(std::shared_ptr<const ActiveHealthView> health) {
  {
    std::lock_guard lock(mu_);
    pending_health_ = std::move(health);
    health_posted_ = true;
  }
  uv_async_send(&async_);
}

void Worker::PostEjection(EjectionNotice notice) {
  {
    std::lock_guard lock(mu_);
    pending_ejections_.push_back(std::move(notice));
  }
  uv_async_send(&async_);
}

void Worker::Register(DownstreamConnection* conn) { connections_.insert(conn); }

void Worker::Unregister(DownstreamConnection* conn) {
  connections_.erase(conn);
  if (draining_ && connections_.empty() && tcp_connections_.empty()) CloseEverything();
}

void Worker::UnregisterTcp(TcpConnection* conn) {
  tcp_connections_.erase(conn);
  tcp_connection_count_.store(tcp_connections_.size(), std::memory_order_relaxed);
  if (draining_ && connections_.empty() && tcp_connections_.empty()) CloseEverything();
}

void Worker::BeginDrain() {
  draining_ = true;
  for (EntrypointListener& l : listeners_) {
    if (l.udp != nullptr) {
      l.udp->Close();  // UDP sessions end with the listener: no grace for datagrams
      l.udp = nullptr;
      l.fd = -1;
    }
    if (l.handle != nullptr) {
      uv_close(reinterpret_cast<uv_handle_t*>(l.handle),
               [](uv_handle_t* h) { delete reinterpret_cast<uv_tcp_t*>(h); });
      l.handle = nullptr;
      l.fd = -1;
    }
  }
  pool_.CloseAll();
  // Drain() may close connections, which unregisters them: iterate a copy.
  std::vector<DownstreamConnection*> open(connections_.begin(), connections_.end());
  for (DownstreamConnection* conn : open) conn->Drain();
  if (connections_.empty() && tcp_connections_.empty()) {
    CloseEverything();
    return;
  }
  uv_timer_start(
      &grace_timer_, [](uv_timer_t* t) { static_cast<Worker*>(t->data)->CloseEverything(); },
      grace_ms_, 0);
}

void Worker::CloseEverything() {
  std::vector<DownstreamConnection*> open(connections_.begin(), connections_.end());
  for (DownstreamConnection* conn : open) conn->Close();
  std::vector<TcpConnection*> tcp(tcp_connections_.begin(), tcp_connections_.end());
  for (TcpConnection* conn : tcp) conn->Close();
  std::vector<MirrorRequest*> mirrors(mirrors_.begin(), mirrors_.end());
  for (MirrorRequest* mirror : mirrors) mirror->Abandon();
  pool_.CloseAll();
  if (!uv_is_closing(reinterpret_cast<uv_handle_t*>(&grace_timer_))) {
    uv_close(reinterpret_cast<uv_handle_t*>(&grace_timer_), nullptr);
  }
  if (!uv_is_closing(reinterpret_cast<uv_handle_t*>(&async_))) {
    uv_close(reinterpret_cast<uv_handle_t*>(&async_), nullptr);
  }
  config_.reset();
}

}  // namespace portico::dataplane
