// fanout_bench: one SnapshotServer on loopback TCP pushing to N fake proxy
// streams in this process (issue 7's fan-out target). Each fake proxy
// reassembles transfers (sequence and sizes checked) and acks; with
// --verify=1 it also parses and applies them as the real proxy does, which
// measures N proxies' CPU on this machine's two cores rather than the
// controller. Measured: from Publish until every stream has acked, for a
// FULL snapshot of R routes and then for endpoint-only changes; and, alone,
// the CPU of each piece of an endpoint change.
// Usage: fanout_bench [--proxies=100] [--routes=10000] [--endpoints=50000]
//                     [--rounds=5] [--verify=0]
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <ctime>
#include <vector>

#include "bench/bench_flags.h"
#include "common/snapshot/shared_snapshot.h"
#include "common/snapshot/snapshot_delta.h"
#include "common/snapshot/snapshot_transfer.h"
#include "controlplane/server/snapshot_server.h"
#include "dataplane/config/runtime_config.h"

namespace portico {
namespace {

using Clock = std::chrono::steady_clock;

std::shared_ptr<const SharedSnapshot> MakeSnapshot(int routes, int endpoints) {
  auto s = std::make_shared<v1::Snapshot>();
  // One Service per route, endpoints spread evenly (as 10k IngressRoutes
  // over 10k Services with 50k endpoints).
  int per_cluster = std::max(1, endpoints / std::max(1, routes));
  for (int i = 0; i < routes; ++i) {
    char name[64];
    std::snprintf(name, sizeof name, "ns%03d/svc%05d:80", i % 100, i);
    v1::Cluster* c = s->add_clusters();
    c->set_name(name);
    for (int e = 0; e < per_cluster; ++e) {
      v1::Endpoint* ep = c->add_endpoints();
      ep->set_address("10." + std::to_string(i / 250 % 250) + "." + std::to_string(i % 250) +
                      "." + std::to_string(e + 1));
      ep->set_port(8080);
    }
  }
  std::sort(s->mutable_clusters()->begin(), s->mutable_clusters()->end(),
            [](const v1::Cluster& a, const v1::Cluster& b) { return a.name() < b.name(); });
  for (int i = 0; i < routes; ++i) {
    v1::Route* r = s->add_routes();
    r->set_name("ns" + std::to_string(i % 100) + "/route" + std::to_string(i) + "/r0/p0");
    r->set_host("app" + std::to_string(i) + ".example.com");
    r->mutable_path()->set_path("/");
    char name[64];
    std::snprintf(name, sizeof name, "ns%03d/svc%05d:80", i % 100, i);
    r->set_cluster(name);
  }
  return std::make_shared<const SharedSnapshot>(SharedSnapshot::FromMessage(std::move(*s)));
}

// `s` with cluster `i` replaced: every other part shared, as the
// controller's translator makes it.
std::shared_ptr<const SharedSnapshot> WithCluster(const SharedSnapshot& s, int i, v1::Cluster c) {
  std::vector<ClusterPartPtr> clusters = s.cluster_parts();
  clusters[static_cast<size_t>(i)] = std::make_shared<const ClusterPart>(std::move(c));
  return std::make_shared<const SharedSnapshot>(s.shared_rest(), s.route_parts(),
                                                std::move(clusters));
}

struct FakeProxy {
  std::thread thread;
  std::atomic<bool> failed{false};
  std::string applied;  // the version it serves; written by its thread
  std::atomic<uint64_t> applies{0};
};

void RunProxy(const std::string& address, bool verify, FakeProxy* proxy,
              std::atomic<bool>* stop) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(16 << 20);
  args.SetInt(GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES, 8 << 20);
  args.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
  auto stub = v1::SnapshotService::NewStub(
      grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args));
  grpc::ClientContext context;
  auto stream = stub->Stream(&context);
  v1::ProxyMessage hello;
  hello.mutable_hello()->set_node("bench-proxy");
  hello.mutable_hello()->set_protocol(v1::PROTOCOL_CHUNKED);
  if (!stream->Write(hello)) {
    proxy->failed = true;
    return;
  }
  SharedSnapshot serving;
  TransferAssembler assembler;
  v1::ControllerMessage message;
  while (!stop->load() && stream->Read(&message)) {
    TransferAssembler::Step step = assembler.Feed(message);
    if (step != TransferAssembler::Step::kCommitted) {
      if (step == TransferAssembler::Step::kError) proxy->failed = true;
      continue;
    }
    const v1::SnapshotBegin& begin = assembler.begin();
    std::string payload = assembler.TakePayload();
    SharedSnapshot next;
    bool ok = true;
    if (!verify) {
      // Reassembled and checked by the assembler: enough for the controller.
    } else if (begin.mode() == v1::SnapshotBegin::FULL) {
      v1::Snapshot whole;
      ok = whole.ParseFromString(payload);
      next = SharedSnapshot::FromMessage(std::move(whole));
    } else {
      v1::SnapshotDelta delta;
      ok = delta.ParseFromString(payload) &&
           ApplySnapshotDelta(serving, delta, begin.version(), &next).empty();
    }
    if (!ok) proxy->failed = true;
    serving = std::move(next);
    v1::ProxyMessage ack;
    ack.mutable_ack()->set_version(begin.version());
    ack.mutable_ack()->set_nonce(begin.nonce());
    ack.mutable_ack()->set_accepted(ok);
    if (!stream->Write(ack)) break;
    proxy->applies.fetch_add(1);
  }
  context.TryCancel();
  stream->Finish();
}

// Seconds from Publish until every proxy has acked `version`.
double PushAndWait(controlplane::SnapshotServer* server,
                   std::shared_ptr<const SharedSnapshot> snapshot, size_t proxies) {
  auto start = Clock::now();
  if (getenv("FANOUT_TRACE")) {
    std::fprintf(stderr, "publish at %.3f\n",
                 std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count());
  }
  std::string version = snapshot->version();
  server->Publish(std::move(snapshot));
  for (;;) {
    auto status = server->Proxies();
    size_t acked = std::count_if(status.begin(), status.end(), [&](const auto& p) {
      return p.acked_version == version;
    });
    if (acked == proxies) break;
    if (getenv("FANOUT_TRACE")) {
      static size_t last = 0;
      if (acked != last) {
        std::fprintf(stderr, "%.3f s: %zu acked\n",
                     std::chrono::duration<double>(Clock::now() - start).count(), acked);
        last = acked;
      }
    }
    if (Clock::now() - start > std::chrono::seconds(60)) {
      std::fprintf(stderr, "timeout: %zu of %zu proxies acked\n", acked, proxies);
      std::exit(1);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return std::chrono::duration<double>(Clock::now() - start).count();
}

int Main(int argc, char** argv) {
  const int proxies = bench::IntFlag(argc, argv, "--proxies", 100);
  const int routes = bench::IntFlag(argc, argv, "--routes", 10'000);
  const int endpoints = bench::IntFlag(argc, argv, "--endpoints", 50'000);
  const int rounds = bench::IntFlag(argc, argv, "--rounds", 5);
  const bool verify = bench::IntFlag(argc, argv, "--verify", 0) != 0;
  if (rounds < 1) {
    std::fprintf(stderr, "--rounds must be at least 1\n");
    return 2;
  }

  controlplane::SnapshotServer server;
  int port = 0;
  controlplane::SnapshotServerOptions options{.host = "127.0.0.1", .port = 0};
  options.chunk_bytes = static_cast<size_t>(bench::IntFlag(argc, argv, "--chunk-bytes", 0));
  if (std::string e = server.Start(options, &port); !e.empty()) {
    std::fprintf(stderr, "%s\n", e.c_str());
    return 1;
  }
  std::string address = "127.0.0.1:" + std::to_string(port);
  std::atomic<bool> stop{false};
  std::vector<std::unique_ptr<FakeProxy>> fleet;
  for (int i = 0; i < proxies; ++i) {
    fleet.push_back(std::make_unique<FakeProxy>());
    FakeProxy* p = fleet.back().get();
    p->thread = std::thread([&, p] { RunProxy(address, verify, p, &stop); });
  }
  while (server.Proxies().size() < static_cast<size_t>(proxies)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }

  auto snapshot = MakeSnapshot(routes, endpoints);
  size_t full_bytes = snapshot->Serialize().size();
  {
    // The pieces of an endpoint change, alone: the controller's delta build,
    // the proxy's apply (copy, merge, digest check) and the digest itself.
    v1::Cluster moved = snapshot->clusters(0);
    moved.mutable_endpoints(0)->set_port(9999);
    auto changed = WithCluster(*snapshot, 0, std::move(moved));
    // Thread CPU time: steady on a loaded machine, unlike wall time.
    auto cpu_ms = bench::ThreadCpuMs;
    double t0 = cpu_ms();
    v1::SnapshotDelta delta = BuildSnapshotDelta(*snapshot, *changed);
    double t1 = cpu_ms();
    SharedSnapshot applied;
    std::string error = ApplySnapshotDelta(*snapshot, delta, changed->version(), &applied);
    double t2 = cpu_ms();
    SharedSnapshot(applied.shared_rest(), applied.route_parts(), applied.cluster_parts());
    double t3 = cpu_ms();
    v1::Snapshot parsed;
    parsed.ParseFromString(snapshot->Serialize());
    double t4 = cpu_ms();
    std::printf(
        "CPU: delta build %.1f ms, delta apply %.1f ms (digest of the parts alone %.1f ms), "
        "FULL serialize+parse %.1f ms%s\n",
        t1 - t0, t2 - t1, t3 - t2, t4 - t3, error.empty() ? "" : " FAILED");
    // The proxy's config from the applied snapshot: the whole build, and the
    // endpoint fast path the delta (clusters only) allows.
    std::string why;
    portico::dataplane::ConfigError build_why;
    auto serving = portico::dataplane::RuntimeConfig::Build(*snapshot, &build_why);
    double t5 = cpu_ms();
    portico::dataplane::ConfigError fast_why;
    auto fast = portico::dataplane::RuntimeConfig::WithEndpoints(
        *serving, applied, {changed->clusters(0).name()}, &fast_why);
    if (fast == nullptr) why = fast_why.message;
    double t6 = cpu_ms();
    auto rebuilt = portico::dataplane::RuntimeConfig::Build(applied, &build_why, serving.get());
    if (rebuilt == nullptr || serving == nullptr) why = build_why.message;
    double t7 = cpu_ms();
    std::printf("CPU: proxy config build %.1f ms, endpoint-only %.1f ms%s\n", t7 - t6, t6 - t5,
                serving && rebuilt && fast ? "" : (" FAILED: " + why).c_str());
  }
  double full = PushAndWait(&server, snapshot, proxies);
  std::vector<double> endpoint_changes;
  for (int round = 0; round < rounds; ++round) {
    v1::Cluster grown = snapshot->clusters(round % routes);
    v1::Endpoint* e = grown.add_endpoints();
    e->set_address("10.255.255." + std::to_string(round % 250 + 1));
    e->set_port(9090);
    auto next = WithCluster(*snapshot, round % routes, std::move(grown));
    endpoint_changes.push_back(PushAndWait(&server, next, proxies));
    snapshot = next;
  }
  std::sort(endpoint_changes.begin(), endpoint_changes.end());
  bool failed = false;
  for (auto& p : fleet) failed |= p->failed.load();
  std::printf("proxies=%d routes=%d endpoints=%d snapshot_bytes=%zu verify=%d\n", proxies,
              routes, endpoints, full_bytes, verify ? 1 : 0);
  std::printf("full snapshot to all proxies: %.3f s\n", full);
  std::printf("endpoint change to all proxies: median %.1f ms, max %.1f ms (%d rounds)\n",
              endpoint_changes[endpoint_changes.size() / 2] * 1e3,
              endpoint_changes.back() * 1e3, rounds);
  std::printf("transfers built: %llu\n",
              static_cast<unsigned long long>(server.transfers_built_total()));
  stop = true;
  server.Shutdown();
  for (auto& p : fleet) p->thread.join();
  if (failed) {
    std::fprintf(stderr, "a fake proxy saw a malformed transfer\n");
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace portico

int main(int argc, char** argv) { return portico::Main(argc, argv); }
