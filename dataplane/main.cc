// portico-proxy: parses flags and wires the components together.
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/admin_server.h"
#include "common/log.h"
#include "dataplane/admin/proxy_admin.h"
#include "dataplane/config/active_health.h"
#include "dataplane/config/config_publisher.h"
#include "dataplane/config/snapshot_client.h"
#include "dataplane/net/reuseport_socket.h"
#include "dataplane/tls/channel_pem.h"
#include "dataplane/proxy_flags.h"
#include "dataplane/worker/worker.h"

namespace portico::dataplane {
namespace {

constexpr char kBuild[] = "portico-proxy 0.1.0";

struct Process {
  ProxyFlags flags;
  std::vector<std::unique_ptr<RequestCounters>> counters;
  std::vector<std::unique_ptr<ConnectionGauge>> gauges;
  std::vector<std::unique_ptr<Worker>> workers;
  std::unique_ptr<ConfigPublisher> publisher;
  std::unique_ptr<HealthProber> prober;  // publishes to the workers: declared after them
  std::unique_ptr<SnapshotClient> client;
  std::unique_ptr<ProxyAdmin> admin;
  std::unique_ptr<AdminServer> admin_server;
  uv_loop_t loop{};
  uv_signal_t sigterm{}, sigint{};
  uv_async_t stopped{};
  std::thread stopper;
};

// Opens every entrypoint's sockets (one per worker) and creates the workers.
bool CreateWorkers(Process& p, std::vector<EntrypointCounters>* counter_views) {
  int n = p.flags.workers;
  std::vector<std::vector<EntrypointListener>> per_worker(static_cast<size_t>(n));
  for (const EntrypointSpec& spec : p.flags.entrypoints) {
    std::vector<int> fds;
    int port = 0;
    std::string err = OpenReusePortListeners(spec.host, spec.port, n, &fds, &port,
                                             spec.udp ? SOCK_DGRAM : SOCK_STREAM);
    if (!err.empty()) {
      LogError("proxy", absl::StrCat("entrypoint ", spec.name, ": ", err));
      return false;
    }
    p.gauges.push_back(std::make_unique<ConnectionGauge>());
    EntrypointCounters view{.entrypoint = spec.name, .connections = p.gauges.back().get()};
    for (int w = 0; w < n; ++w) {
      p.counters.push_back(std::make_unique<RequestCounters>());
      view.per_worker.push_back(p.counters.back().get());
      EntrypointSpec bound = spec;
      bound.port = port;
      per_worker[static_cast<size_t>(w)].push_back({.spec = bound,
                                                    .fd = fds[static_cast<size_t>(w)],
                                                    .port_text = std::to_string(port),
                                                    .counters = p.counters.back().get(),
                                                    .connections = p.gauges.back().get()});
    }
    counter_views->push_back(std::move(view));
    LogInfo("proxy", absl::StrCat("entrypoint ", spec.name, " listening on ", spec.host, ":", port,
                                  spec.udp ? "/udp" : ""));
  }
  for (int w = 0; w < n; ++w) {
    p.workers.push_back(
        std::make_unique<Worker>(w, p.flags.limits, std::move(per_worker[static_cast<size_t>(w)])));
  }
  std::vector<Worker*> all;
  for (auto& w : p.workers) all.push_back(w.get());
  for (auto& w : p.workers) w->SetSiblings(all);
  return true;
}

void OnSignal(uv_signal_t* handle, int signum) {
  auto* p = static_cast<Process*>(handle->data);
  if (p->stopper.joinable()) {
    // A second signal means "now": in-flight requests are abandoned.
    LogWarn("proxy", absl::StrCat("signal ", signum, " while draining: exiting at once"));
    std::_Exit(1);
  }
  LogInfo("proxy", absl::StrCat("signal ", signum, ": not ready; listeners close in ",
                                p->flags.drain_delay_ms, " ms, then requests in flight have ",
                                p->flags.grace_period_ms, " ms"));
  p->admin->SetShuttingDown();
  // Joining threads blocks: do it off the loop so /ready keeps answering 503.
  p->stopper = std::thread([p] {
    // Load balancers see /ready fail first; until the delay ends the
    // listeners stay open and every request is still served.
    std::this_thread::sleep_for(std::chrono::milliseconds(p->flags.drain_delay_ms));
    p->client->Stop();
    p->prober->Stop();
    for (auto& w : p->workers) w->Stop(p->flags.grace_period_ms);
    for (auto& w : p->workers) w->Join();
    uv_async_send(&p->stopped);
  });
}

int Run(Process& p) {
  std::vector<EntrypointCounters> counter_views;
  if (!CreateWorkers(p, &counter_views)) return 1;
  std::vector<Worker*> worker_ptrs;
  for (auto& w : p.workers) worker_ptrs.push_back(w.get());
  p.publisher = std::make_unique<ConfigPublisher>(worker_ptrs);
  SnapshotClientOptions client_options{
      .controllers = p.flags.controllers, .node = p.flags.node, .build = kBuild};
  if (!p.flags.grpc_insecure) {
    ChannelPem pem;
    if (std::string e = LoadChannelPem(p.flags.grpc_cert, p.flags.grpc_key, p.flags.grpc_ca, &pem);
        !e.empty()) {
      std::fprintf(stderr, "portico-proxy: %s\n", e.c_str());
      return 2;
    }
    client_options.tls = ClientTls{.certificate_chain = std::move(pem.certificate_chain),
                                   .private_key = std::move(pem.private_key),
                                   .server_ca = std::move(pem.ca),
                                   .server_name = p.flags.grpc_server_name,
                                   .certificate_file = p.flags.grpc_cert,
                                   .private_key_file = p.flags.grpc_key,
                                   .server_ca_file = p.flags.grpc_ca};
  } else {
    LogWarn("proxy", "the snapshot channel is plaintext (--grpc-insecure); keep it on loopback");
  }
  // One prober for the whole proxy; its verdicts reach every worker.
  p.prober = std::make_unique<HealthProber>([&p](std::shared_ptr<const HealthStatus> status) {
    auto view = std::make_shared<const HealthStatusView>(std::move(status));
    for (auto& w : p.workers) w->PostHealth(view);
  });
  p.publisher->SetOnApplied(
      [&p](const RuntimeConfig& config) { p.prober->Update(HealthTargets(config)); });
  p.client = std::make_unique<SnapshotClient>(std::move(client_options), p.publisher.get());
  p.admin =
      std::make_unique<ProxyAdmin>(p.publisher.get(), p.client.get(), std::move(counter_views));
  // Sums over the workers, read when /metrics is asked for.
  auto workers_sum = [&p](uint64_t (Worker::*read)() const) {
    return [&p, read] {
      uint64_t total = 0;
      for (const auto& w : p.workers) total += (*w.*read)();
      return total;
    };
  };
  p.admin->AddMetric("portico_proxy_endpoint_ejections_total", "counter",
                     "Endpoints taken out of rotation by passive health.",
                     workers_sum(&Worker::ejections));
  p.admin->AddMetric("portico_proxy_health_checks_total", "counter",
                     "Active health checks run.", [&p] { return p.prober->checks_total(); });
  p.admin->AddMetric("portico_proxy_health_check_failures_total", "counter",
                     "Active health checks that failed.",
                     [&p] { return p.prober->failures_total(); });
  p.admin->AddMetric("portico_proxy_mirrored_requests_total", "counter",
                     "Copies of requests a mirroring service sent and got an answer to.",
                     workers_sum(&Worker::mirrors_sent));
  p.admin->AddMetric("portico_proxy_mirror_failures_total", "counter",
                     "Mirrored copies that failed (connect, reset, timeout or 5xx).",
                     workers_sum(&Worker::mirrors_failed));
  p.admin->AddMetric("portico_proxy_mirror_skipped_total", "counter",
                     "Requests not mirrored: body too large to copy, or no endpoint.",
                     workers_sum(&Worker::mirrors_skipped));

  uv_loop_init(&p.loop);
  p.admin_server = std::make_unique<AdminServer>(
      &p.loop,
      [&p](std::string_view m, std::string_view path) { return p.admin->Handle(m, path); });
  std::string err = p.admin_server->Listen(p.flags.admin_host, p.flags.admin_port);
  if (!err.empty()) {
    LogError("proxy", err);
    return 1;
  }
  LogInfo("proxy",
          absl::StrCat("admin listening on ", p.flags.admin_host, ":", p.admin_server->port()));

  for (auto& w : p.workers) w->Start();
  p.prober->Start();
  p.client->Start();
  for (uv_signal_t* s : {&p.sigterm, &p.sigint}) {
    uv_signal_init(&p.loop, s);
    s->data = &p;
  }
  uv_signal_start(&p.sigterm, &OnSignal, SIGTERM);
  uv_signal_start(&p.sigint, &OnSignal, SIGINT);
  p.stopped.data = &p;
  uv_async_init(&p.loop, &p.stopped, [](uv_async_t* a) {
    auto* proc = static_cast<Process*>(a->data);
    proc->admin_server->Close();
    uv_close(reinterpret_cast<uv_handle_t*>(&proc->sigterm), nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(&proc->sigint), nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(a), nullptr);
  });
  uv_run(&p.loop, UV_RUN_DEFAULT);
  if (p.stopper.joinable()) p.stopper.join();
  p.admin_server.reset();
  uv_run(&p.loop, UV_RUN_DEFAULT);
  uv_loop_close(&p.loop);
  LogInfo("proxy", "stopped");
  return 0;
}

}  // namespace
}  // namespace portico::dataplane

int main(int argc, char** argv) {
  using namespace portico::dataplane;
  ::signal(SIGPIPE, SIG_IGN);
  Process p;
  std::string err = ParseProxyFlags(std::vector<std::string>(argv + 1, argv + argc), &p.flags);
  if (!err.empty()) {
    std::fprintf(stderr, "portico-proxy: %s\n", err.c_str());
    return 2;
  }
  if (p.flags.help) {
    std::fputs(kProxyUsage, stdout);
    return 0;
  }
  portico::LogLevel level;
  if (!portico::ParseLogLevel(p.flags.log_level, &level)) {
    std::fprintf(stderr, "portico-proxy: --log-level: expected debug, info, warn or error\n");
    return 2;
  }
  portico::SetLogLevel(level);
  if (p.flags.workers == 0)
    p.flags.workers = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  if (p.flags.node.empty()) {
    char host[256] = "proxy";
    gethostname(host, sizeof host - 1);
    p.flags.node = absl::StrCat(host, "-", getpid());
  }
  return Run(p);
}
