// Worker: one thread running one libuv loop, with its own listening socket
// per entrypoint (SO_REUSEPORT), its own upstream pool and picker, and the
// RuntimeConfig it currently serves. Other threads talk to it only through
// PostConfig and Stop (uv_async); everything else runs on its loop.
#pragma once

#include <uv.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "dataplane/config/runtime_config.h"
#include "dataplane/http/exchange.h"
#include "dataplane/metrics/request_counters.h"
#include "dataplane/tls/tls_session_cache.h"
#include "dataplane/upstream/connection_pool.h"
#include "dataplane/upstream/endpoint_picker.h"
#include "dataplane/worker/proxy_options.h"

namespace portico::dataplane {

class DownstreamConnection;
class MirrorRequest;
class TcpConnection;

struct EntrypointListener {
  EntrypointSpec spec;
  int fd = -1;            // bound and listening; the worker takes ownership
  std::string port_text;  // for X-Forwarded-Port
  RequestCounters* counters = nullptr;
  ConnectionGauge* connections = nullptr;  // shared by the entrypoint's listeners
  uv_tcp_t* handle = nullptr;              // owned by the loop once started
  class UdpListener* udp = nullptr;        // UDP entrypoints instead of `handle`
  // This entrypoint's portico_proxy_l4_open_connections gauge, looked up at
  // the first TCP-routed connection (the lookup takes a process-wide lock).
  std::atomic<int64_t>* l4_open = nullptr;
  class Worker* worker = nullptr;
};

class Worker {
 public:
  Worker(int index, ProxyLimits limits, std::vector<EntrypointListener> listeners);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  void Start();
  // Thread-safe: the worker swaps to `config` on its loop soon after.
  void PostConfig(std::shared_ptr<const RuntimeConfig> config);
  // Thread-safe: stop accepting, finish requests in flight, close the rest
  // after `grace_ms`, and end the thread.
  void Stop(uint64_t grace_ms);
  void Join();

  // Loop-thread accessors for the connections it runs.
  uv_loop_t* loop() { return &loop_; }
  const std::shared_ptr<const RuntimeConfig>& config() const { return config_; }
  const ProxyLimits& limits() const { return limits_; }
  ConnectionPool& pool() { return pool_; }
  TlsSessionCache& tls_sessions() { return tls_sessions_; }
  EndpointPicker& picker() { return picker_; }
  ExchangePool& exchanges() { return exchanges_; }
  // Scratch buffers of the request path, reused by every connection of the
  // worker so that no connection holds a buffer between writes: output to
  // one client while it is corked (and who holds it), and the bytes one
  // client read produces for its upstream.
  std::string& client_out() { return client_out_; }
  DownstreamConnection*& client_out_holder() { return client_out_holder_; }
  std::string& upstream_out() { return upstream_out_; }
  bool draining() const { return draining_; }
  char* read_buffer() { return read_buffer_.get(); }
  static constexpr size_t kReadBufferSize = 64 * 1024;

  // The other workers of this proxy, for sharing passive-health ejections.
  // Set before Start; the list must outlive the workers' threads.
  void SetSiblings(std::vector<Worker*> siblings) { siblings_ = std::move(siblings); }
  // Loop thread: ends the request a picker().Pick began, with its outcome
  // (once: `picked` is cleared). An ejection it causes reaches every sibling
  // worker too.
  void EndPick(Picked& picked, PickOutcome outcome);
  // Thread-safe: the active health checks' newest verdicts.
  void PostHealth(std::shared_ptr<const ActiveHealthView> health);
  // Ejections this worker decided (thread-safe read).
  uint64_t ejections() const { return ejections_.load(std::memory_order_relaxed); }

  // Mirrored requests in flight (closed when the worker stops), and what
  // became of them (thread-safe reads).
  void AddMirror(MirrorRequest* mirror) { mirrors_.insert(mirror); }
  void RemoveMirror(MirrorRequest* mirror) { mirrors_.erase(mirror); }
  void CountMirror(bool ok) {
    (ok ? mirrors_sent_ : mirrors_failed_).fetch_add(1, std::memory_order_relaxed);
  }
  void CountMirrorSkipped() { mirrors_skipped_.fetch_add(1, std::memory_order_relaxed); }
  uint64_t mirrors_sent() const { return mirrors_sent_.load(std::memory_order_relaxed); }
  uint64_t mirrors_failed() const { return mirrors_failed_.load(std::memory_order_relaxed); }
  uint64_t mirrors_skipped() const { return mirrors_skipped_.load(std::memory_order_relaxed); }

  void Register(DownstreamConnection* conn);
  void Unregister(DownstreamConnection* conn);
  // TCP-routed connections: never drained early, closed when the grace
  // period ends.
  void RegisterTcp(TcpConnection* conn) {
    tcp_connections_.insert(conn);
    tcp_connection_count_.store(tcp_connections_.size(), std::memory_order_relaxed);
  }
  void UnregisterTcp(TcpConnection* conn);
  // Open TCP-routed connections (thread-safe read).
  size_t tcp_connections() const { return tcp_connection_count_.load(std::memory_order_relaxed); }
  // Round-robin cursors of TCP and UDP routing, by route or cluster key.
  uint64_t& L4Cursor(const std::string& key) { return l4_cursors_[key]; }

 private:
  void Run();
  static void OnAsync(uv_async_t* handle);
  static void OnConnection(uv_stream_t* server, int status);
  void BeginDrain();
  void Listen();
  struct EjectionNotice {
    std::string cluster;
    std::string endpoint;
    size_t cluster_size = 0;
    uint64_t until_ms = 0;  // loop time (one monotonic clock for every worker)
    std::optional<PassiveHealthPolicy> passive;  // the service's own rules, if any
  };
  // Thread-safe: queues an ejection decided by another worker.
  void PostEjection(EjectionNotice notice);
  void CloseEverything();

  int index_;
  ProxyLimits limits_;
  std::vector<EntrypointListener> listeners_;
  uv_loop_t loop_{};
  uv_async_t async_{};
  uv_timer_t grace_timer_{};
  std::thread thread_;
  std::unique_ptr<char[]> read_buffer_;

  std::mutex mu_;  // guards the mailbox below
  std::shared_ptr<const RuntimeConfig> pending_config_;
  std::vector<EjectionNotice> pending_ejections_;
  std::shared_ptr<const ActiveHealthView> pending_health_;
  bool health_posted_ = false;
  bool stop_requested_ = false;
  uint64_t grace_ms_ = 0;

  std::shared_ptr<const RuntimeConfig> config_;  // loop thread only
  ConnectionPool pool_;
  // Sessions with TLS backends, per pool key: new connections resume.
  static constexpr size_t kTlsSessionCacheSize = 1024;
  TlsSessionCache tls_sessions_{kTlsSessionCacheSize};
  EndpointPicker picker_;
  ExchangePool exchanges_;
  std::string client_out_;
  DownstreamConnection* client_out_holder_ = nullptr;
  std::string upstream_out_;
  bool draining_ = false;
  bool listening_ = false;  // the entrypoints' sockets listen (from the first config on)
  std::vector<Worker*> siblings_;
  std::atomic<uint64_t> ejections_{0};
  absl::flat_hash_set<DownstreamConnection*> connections_;  // open client connections
  absl::flat_hash_set<MirrorRequest*> mirrors_;
  absl::flat_hash_set<TcpConnection*> tcp_connections_;
  std::atomic<size_t> tcp_connection_count_{0};
  absl::flat_hash_map<std::string, uint64_t> l4_cursors_;
  std::atomic<uint64_t> mirrors_sent_{0};
  std::atomic<uint64_t> mirrors_failed_{0};
  std::atomic<uint64_t> mirrors_skipped_{0};
};

}  // namespace portico::dataplane
