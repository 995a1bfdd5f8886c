// Endpoint picking cost: nanoseconds per Pick at 1 000 endpoints, for the
// rotation alone and with passive health having ejected endpoints (the
// slower path that skips them). Run from `make bench`; a Release build.
//
//   build-bench/bin/pick_bench [picks]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "dataplane/upstream/round_robin.h"

namespace {

using portico::dataplane::Cluster;
using portico::dataplane::Endpoint;
using portico::dataplane::RoundRobinPicker;

Cluster MakeCluster(int endpoints) {
  Cluster c;
  c.name = "bench/app:80";
  for (int i = 0; i < endpoints; ++i) {
    Endpoint e;
    e.key = "10." + std::to_string(i / 65536) + "." + std::to_string(i / 256 % 256) + "." +
            std::to_string(i % 256) + ":8080";
    c.ready.push_back(e);
  }
  return c;
}

double NsPerPick(RoundRobinPicker& picker, const Cluster& cluster, long picks) {
  uintptr_t sink = 0;
  auto start = std::chrono::steady_clock::now();
  for (long i = 0; i < picks; ++i) sink += reinterpret_cast<uintptr_t>(picker.Pick(cluster, 1));
  auto ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start);
  if (sink == 1) std::puts("");  // keeps the loop
  return ns.count() / static_cast<double>(picks);
}

}  // namespace

int main(int argc, char** argv) {
  long picks = argc > 1 ? std::atol(argv[1]) : 20'000'000;
  Cluster cluster = MakeCluster(1000);

  RoundRobinPicker plain;
  NsPerPick(plain, cluster, picks / 10);  // warm-up
  double rotation = NsPerPick(plain, cluster, picks);

  RoundRobinPicker with_ejections({.consecutive_failures = 1,
                                   .base_ejection_ms = 1'000'000'000,
                                   .max_ejection_ms = 1'000'000'000,
                                   .max_ejected_percent = 50});
  for (int i = 0; i < 1000; i += 10) with_ejections.ReportFailure(cluster, cluster.ready[i].key, 0);
  NsPerPick(with_ejections, cluster, picks / 10);
  double ejected = NsPerPick(with_ejections, cluster, picks);

  std::printf("round robin, 1000 endpoints: %.1f ns per pick\n", rotation);
  std::printf("round robin, 1000 endpoints, 100 ejected: %.1f ns per pick\n", ejected);
  return 0;
}
