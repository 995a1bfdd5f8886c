// Weighted round robin by earliest deadline first: exact sequences, exact
// shares over whole periods, and the sequence carrying over a config swap.
#include <catch2/catch.hpp>

#include "tests/dataplane/balancing/balancing_support.h"

namespace portico::dataplane::testing {
namespace {

BalancerSpec Weighted(std::map<int, double> weights) {
  BalancerSpec spec;
  for (auto [n, w] : weights) spec.weights[EndpointKey(n)] = w;
  return spec;
}

TEST_CASE("wrr: equal weights are plain round robin in endpoint order", "[edf]") {
  Cluster c = MakeCluster("ns/app:80", 3);
  auto f = MustBuild(c, {});
  EndpointPicker picker;
  CHECK(Sequence(picker, *f, 7) == "abcabca");
}

TEST_CASE("wrr: weights 5:1:1 give a smooth sequence", "[edf]") {
  Cluster c = MakeCluster("ns/app:80", 3);
  auto f = MustBuild(c, Weighted({{1, 5}}));
  EndpointPicker picker;
  // Deadlines start staggered over one period (a: 1/15, b: 2/3, c: 1) and
  // advance by 1/weight: b and c land between runs of a, not after five a's.
  CHECK(Sequence(picker, *f, 14) == "aaabaacaaabaac");
}

TEST_CASE("wrr: fractional weights", "[edf]") {
  Cluster c = MakeCluster("ns/app:80", 3);
  auto f = MustBuild(c, Weighted({{1, 2.5}, {3, 0.5}}));
  EndpointPicker picker;
  // 2.5 : 1 : 0.5 is 10 : 4 : 2 in every 16 picks.
  CHECK(Sequence(picker, *f, 16) == "aabaabacaabaabac");
  CHECK(Sequence(picker, *f, 16) == "aabaabacaabaabac");
}

TEST_CASE("wrr: every endpoint gets its exact share over whole periods", "[edf]") {
  Cluster c = MakeCluster("ns/big:80", 100);
  std::map<int, double> weights;
  int total = 0;
  for (int i = 1; i <= 100; ++i) {
    weights[i] = i % 7 + 1;  // 1..7
    total += i % 7 + 1;
  }
  auto f = MustBuild(c, Weighted(weights));
  EndpointPicker picker;
  std::map<std::string, int> counts;
  for (int i = 0; i < total * 50; ++i) {
    Picked p = picker.Pick(*f, {});
    ++counts[p.endpoint->key];
    picker.End(p, PickOutcome::kSuccess, 0);
  }
  for (int i = 1; i <= 100; ++i) {
    INFO(EndpointKey(i));
    CHECK(std::abs(counts[EndpointKey(i)] - 50 * (i % 7 + 1)) <= 1);
  }
}

TEST_CASE("wrr: the position in the sequence carries over to a newer config", "[edf]") {
  Cluster c = MakeCluster("ns/app:80", 3);
  auto first = MustBuild(c, {});
  EndpointPicker picker;
  CHECK(Sequence(picker, *first, 2) == "ab");
  // The same endpoints in a new snapshot: the sequence simply goes on.
  auto same = MustBuild(c, {}, first.get());
  CHECK(same->schedule(0) == first->schedule(0));  // shared, not rebuilt
  CHECK(Sequence(picker, *same, 2) == "ca");
  // A new snapshot adds d: the walk goes on at the same position (3, then
  // 4 …) of the new sequence a b c d, instead of starting again at a.
  Cluster bigger = MakeCluster("ns/app:80", 4);
  auto second = MustBuild(bigger, {}, same.get());
  CHECK(Sequence(picker, *second, 6) == "abcdab");
}

TEST_CASE("wrr: a request of the older config still picks from its own endpoints", "[edf]") {
  Cluster old_cluster = MakeCluster("ns/app:80", 2);  // a, b
  auto old_factory = MustBuild(old_cluster, {});
  EndpointPicker picker;
  CHECK(Sequence(picker, *old_factory, 1) == "a");
  Cluster new_cluster = MakeCluster("ns/app:80", 2, 0, 3);  // c, d
  auto new_factory = MustBuild(new_cluster, {});
  CHECK(Sequence(picker, *new_factory, 2) == "dc");  // positions 1, 2
  // A retry of a request that began before the swap: the older sequence
  // (a, b) at the same position.
  CHECK(Sequence(picker, *old_factory, 4) == "baba");
  CHECK(Sequence(picker, *new_factory, 2) == "dc");
}

TEST_CASE("wrr: workers pick independently, each the same deterministic sequence", "[edf]") {
  Cluster c = MakeCluster("ns/app:80", 4);
  auto f = MustBuild(c, Weighted({{2, 2}}));
  EndpointPicker one, two;
  CHECK(Sequence(one, *f, 10) == Sequence(two, *f, 10));
}

}  // namespace
}  // namespace portico::dataplane::testing
