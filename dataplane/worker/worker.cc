#include "dataplane/worker/worker.h"

#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "dataplane/http/downstream_connection.h"

namespace portico::dataplane {

Worker::Worker(int index, ProxyLimits limits, std::vector<EntrypointListener> listeners)
    : index_(index),
      limits_(limits),
      listeners_(std::move(listeners)),
      read_buffer_(new char[kReadBufferSize]),
      pool_(limits.max_idle_per_endpoint),
      picker_(limits.passive_health) {
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
    if (l.handle == nullptr && l.fd >= 0) ::close(l.fd);
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
    l.handle = new uv_tcp_t;
    uv_tcp_init(&loop_, l.handle);
    l.handle->data = &l;
    int rc = uv_tcp_open(l.handle, l.fd);
    if (rc == 0) rc = uv_listen(reinterpret_cast<uv_stream_t*>(l.handle), 1024, &OnConnection);
    if (rc != 0) {
      LogError("proxy", absl::StrCat("worker ", index_, ": cannot listen for entrypoint ",
                                     l.spec.name, ": ", uv_strerror(rc)));
    }
  }
  // A config posted before Start is in force from the first request.
  {
    std::lock_guard lock(mu_);
    if (pending_config_ != nullptr) config_ = std::move(pending_config_);
  }
  thread_ = std::thread([this] { Run(); });
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
  bool stop = false;
  {
    std::lock_guard lock(self->mu_);
    config = std::move(self->pending_config_);
    ejections.swap(self->pending_ejections_);
    stop = self->stop_requested_;
  }
  uint64_t now = uv_now(&self->loop_);
  for (const EjectionNotice& e : ejections) {
    self->picker_.ApplyEjection(e.cluster, e.endpoint, e.cluster_size, e.until_ms, now);
  }
  // The old config lives on in the requests that snapped it.
  if (config != nullptr) self->config_ = std::move(config);
  if (stop && !self->draining_) self->BeginDrain();
}

void Worker::OnConnection(uv_stream_t* server, int status) {
  auto* listener = static_cast<EntrypointListener*>(server->data);
  if (status != 0) return;
  DownstreamConnection::Accept(listener->worker, listener, server);
}

void Worker::ReportEndpointSuccess(const Cluster& cluster, const std::string& endpoint) {
  picker_.ReportSuccess(cluster, endpoint);
}

void Worker::ReportEndpointFailure(const Cluster& cluster, const std::string& endpoint) {
  uint64_t until = picker_.ReportFailure(cluster, endpoint, uv_now(&loop_));
  if (until == 0) return;
  ejections_.fetch_add(1, std::memory_order_relaxed);
  LogWarn("proxy", absl::StrCat("endpoint ", endpoint, " of ", cluster.name,
                                " failed repeatedly: out of rotation for ",
                                until - uv_now(&loop_), " ms"));
  for (Worker* sibling : siblings_) {
    if (sibling == this) continue;
    sibling->PostEjection({.cluster = cluster.name,
                           .endpoint = endpoint,
                           .cluster_size = cluster.active().size(),
                           .until_ms = until});
  }
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
  if (draining_ && connections_.empty()) CloseEverything();
}

void Worker::BeginDrain() {
  draining_ = true;
  for (EntrypointListener& l : listeners_) {
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
  if (connections_.empty()) {
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
