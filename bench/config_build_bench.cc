// config_build_bench: the proxy's config build when one route is added to N
// (issue 7's propagation: the proxy's share). Builds a RuntimeConfig from a
// snapshot of N Ingress routes to one cluster, then R times from that
// snapshot plus one new route, passing the previous config as a real apply
// does. Reports wall and thread CPU per build.
// Usage: config_build_bench [--routes=10000] [--rounds=30]
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

#include "bench/bench_flags.h"
#include "common/snapshot/shared_snapshot.h"
#include "dataplane/config/runtime_config.h"

namespace portico::dataplane {
namespace {

RoutePartPtr MakeRoute(int i) {
  v1::Route route;
  route.set_name("default/r" + std::to_string(i) + "/r0/p0");
  route.set_host("r" + std::to_string(i) + ".bench.test");
  route.mutable_path()->set_kind(v1::PathMatch::PREFIX);
  route.mutable_path()->set_path("/");
  route.set_cluster("default/app:80");
  route.set_source("Ingress/default/r" + std::to_string(i));
  return std::make_shared<const RoutePart>(std::move(route));
}

int Main(int argc, char** argv) {
  const int routes = bench::IntFlag(argc, argv, "--routes", 10000);
  const int rounds = bench::IntFlag(argc, argv, "--rounds", 30);
  v1::Cluster cluster;
  cluster.set_name("default/app:80");
  v1::Endpoint* endpoint = cluster.add_endpoints();
  endpoint->set_address("127.0.0.2");
  endpoint->set_port(8080);
  std::vector<ClusterPartPtr> clusters{std::make_shared<const ClusterPart>(std::move(cluster))};
  auto rest = std::make_shared<const v1::Snapshot>();
  std::vector<RoutePartPtr> parts;
  for (int i = 0; i < routes; ++i) parts.push_back(MakeRoute(i));

  ConfigError error;
  auto config = RuntimeConfig::Build(SharedSnapshot(rest, parts, clusters), &error);
  if (config == nullptr) {
    std::fprintf(stderr, "build failed: %s\n", error.message.c_str());
    return 1;
  }
  double wall_total = 0, cpu_total = 0, wall_max = 0;
  int max_round = 0;
  for (int r = 0; r < rounds; ++r) {
    parts.insert(parts.begin() + (r * 7919) % static_cast<int>(parts.size()),
                 MakeRoute(routes + r));
    SharedSnapshot next(rest, parts, clusters);
    auto wall0 = std::chrono::steady_clock::now();
    double cpu0 = bench::ThreadCpuMs();
    auto built = RuntimeConfig::Build(next, &error, config.get());
    double cpu = bench::ThreadCpuMs() - cpu0;
    double wall =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - wall0).count();
    if (built == nullptr) {
      std::fprintf(stderr, "build failed: %s\n", error.message.c_str());
      return 1;
    }
    config = std::move(built);  // the old one is freed here, outside the timing
    wall_total += wall;
    cpu_total += cpu;
    if (wall > wall_max) {
      wall_max = wall;
      max_round = r;
    }
  }
  std::printf(
      "config build, %d routes + 1: mean wall %.2f ms, max %.2f ms (round %d), CPU %.2f ms (%d "
      "rounds)\n",
      routes, wall_total / rounds, wall_max, max_round, cpu_total / rounds, rounds);
  return 0;
}

}  // namespace
}  // namespace portico::dataplane

int main(int argc, char** argv) { return portico::dataplane::Main(argc, argv); }
