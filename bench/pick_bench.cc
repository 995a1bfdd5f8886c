// Endpoint picking cost: nanoseconds per request at 1 000 endpoints, for
// the EndpointPicker every worker uses, with every algorithm of
// PickerFactory, each measured as Pick + End (what a request costs: End
// finishes the request in flight that p2c and least requests follow). Times are the thread's CPU time. Run from `make bench`; a
// Release build.
//
//   build-bench/bin/pick_bench [picks]
#include <time.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "dataplane/upstream/endpoint_picker.h"
#include "dataplane/upstream/sticky_cookie.h"

namespace {

using namespace portico::dataplane;

constexpr int kEndpoints = 1000;

Cluster MakeCluster(const std::string& name, int endpoints, int first = 0) {
  Cluster c;
  c.name = name;
  for (int i = first; i < first + endpoints; ++i) {
    Endpoint e;
    e.key = "10." + std::to_string(i / 65536) + "." + std::to_string(i / 256 % 256) + "." +
            std::to_string(i % 256) + ":8080";
    c.ready.push_back(e);
  }
  return c;
}

// CPU time of this thread: on a shared machine, wall time would also count
// the time the thread waited for a core.
double ThreadCpuNs() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
}

template <typename PickOnce>
double NsPer(long picks, PickOnce pick_once) {
  uintptr_t sink = 0;
  for (long i = 0; i < picks / 10; ++i) sink += pick_once(i);  // warm-up
  double start = ThreadCpuNs();
  for (long i = 0; i < picks; ++i) sink += pick_once(i);
  double ns = ThreadCpuNs() - start;
  if (sink == 1) std::puts("");  // keeps the loop
  return ns / static_cast<double>(picks);
}

// Requests with a header or a cookie drawn from a fixed set of 4 096 values.
class BenchHeaders : public HeaderLookup {
 public:
  BenchHeaders(std::string header, std::vector<std::string> values)
      : header_(std::move(header)), values_(std::move(values)) {}
  void Select(long i) { current_ = &values_[static_cast<size_t>(i) % values_.size()]; }
  std::string_view Get(std::string_view lower_name) const override {
    return lower_name == header_ ? std::string_view(*current_) : std::string_view();
  }

 private:
  std::string header_;
  std::vector<std::string> values_;
  const std::string* current_ = nullptr;
};

double NsPerRequest(EndpointPicker& picker, const PickerFactory& factory, long picks,
                    BenchHeaders* headers = nullptr) {
  return NsPer(picks, [&](long i) {
    if (headers != nullptr) headers->Select(i);
    PickRequest request{.now_ms = 1, .client_ip = "10.200.0.1", .path = "/", .headers = headers};
    Picked picked = picker.Pick(factory, request);
    picker.End(picked, PickOutcome::kSuccess, 1);
    return reinterpret_cast<uintptr_t>(picked.endpoint);
  });
}

std::shared_ptr<const PickerFactory> Build(const Cluster& cluster, const BalancerSpec& spec) {
  std::string error;
  auto factory = PickerFactory::ForCluster(cluster, spec, &error);
  if (factory == nullptr) {
    std::fprintf(stderr, "pick_bench: %s\n", error.c_str());
    std::exit(1);
  }
  return factory;
}

void Report(const char* what, double ns) { std::printf("%-58s %6.1f ns per request\n", what, ns); }

void BenchAlgorithms(long picks) {
  Cluster cluster = MakeCluster("bench/app:80", kEndpoints);
  auto run = [&](const char* what, const BalancerSpec& spec, BenchHeaders* headers = nullptr,
                 PassiveHealthPolicy policy = {}) {
    auto factory = Build(cluster, spec);
    EndpointPicker picker(policy, 1);
    Report(what, NsPerRequest(picker, *factory, picks, headers));
  };

  run("wrr (EDF), equal weights", {});
  BalancerSpec weighted;
  for (int i = 0; i < kEndpoints; ++i) weighted.weights[cluster.ready[i].key] = 1 + i % 5 * 0.5;
  run("wrr (EDF), weights 1..3", weighted);

  // 100 endpoints ejected (they wait outside the EDF queue).
  {
    auto factory = Build(cluster, {});
    EndpointPicker picker({.consecutive_failures = 1,
                           .base_ejection_ms = 1'000'000'000,
                           .max_ejection_ms = 1'000'000'000,
                           .max_ejected_percent = 50},
                          1);
    for (int i = 0; i < kEndpoints; i += 10) {
      picker.ApplyEjection(cluster.name, cluster.ready[i].key, kEndpoints, 1'000'000'000, 0);
    }
    Report("wrr (EDF), 100 ejected", NsPerRequest(picker, *factory, picks));
  }

  BalancerSpec p2c;
  p2c.algorithm = BalanceAlgorithm::kPowerOfTwoChoices;
  run("p2c", p2c);
  BalancerSpec least;
  least.algorithm = BalanceAlgorithm::kLeastRequests;
  run("leastrequests", least);

  std::vector<std::string> users;
  for (int i = 0; i < 4096; ++i) users.push_back("user-" + std::to_string(i * 7919));
  BalancerSpec maglev;
  maglev.algorithm = BalanceAlgorithm::kMaglev;
  maglev.hash_key = {.source = HashKeySource::kHeader, .name = "X-User"};
  BenchHeaders user_headers("x-user", users);
  run("maglev, key from a header", maglev, &user_headers);
  maglev.hash_key = {.source = HashKeySource::kClientIp};
  run("maglev, key from the client IP", maglev);

  // Sticky: every request carries a valid cookie among other cookies.
  BalancerSpec sticky;
  sticky.sticky = StickyCookieSpec{.name = "lb"};
  std::vector<std::string> cookies;
  for (int i = 0; i < 4096; ++i) {
    const std::string& key = cluster.ready[static_cast<size_t>(i * 7) % kEndpoints].key;
    cookies.push_back("theme=dark; lb=" + FormatStickyValue(StickyCookieId(cluster.name, key)) +
                      "; lang=en");
  }
  BenchHeaders cookie_headers("cookie", cookies);
  run("sticky cookie (wrr underneath), cookie valid", sticky, &cookie_headers);

  // A canary split over two services of 500 endpoints each.
  Cluster stable = MakeCluster("bench/stable:80", kEndpoints / 2);
  Cluster canary = MakeCluster("bench/canary:80", kEndpoints / 2, kEndpoints / 2);
  std::string error;
  auto split = PickerFactory::ForWeighted(
      "bench/split", {{Build(stable, {}), 9}, {Build(canary, {}), 1}}, std::nullopt, &error);
  EndpointPicker picker;
  Report("weighted split 9:1 of two wrr services (500 each)", NsPerRequest(picker, *split, picks));
}

}  // namespace

int main(int argc, char** argv) {
  long picks = argc > 1 ? std::atol(argv[1]) : 20'000'000;
  std::printf("EndpointPicker, 1000 endpoints, Pick + End:\n");
  BenchAlgorithms(picks / 4);
  return 0;
}
