// Power of two choices and least requests: both follow requests in flight
// (Pick begins one, End finishes it).
#include <catch2/catch.hpp>

#include <vector>

#include "tests/dataplane/balancing/balancing_support.h"

namespace portico::dataplane::testing {
namespace {

BalancerSpec Spec(BalanceAlgorithm algorithm) {
  BalancerSpec spec;
  spec.algorithm = algorithm;
  return spec;
}

TEST_CASE("leastrequests: idle endpoints in turn, then the least loaded", "[least_requests]") {
  Cluster c = MakeCluster("ns/app:80", 3);
  auto f = MustBuild(c, Spec(BalanceAlgorithm::kLeastRequests));
  EndpointPicker picker;
  // Nothing in flight: ties go to the endpoint picked longest ago.
  CHECK(Sequence(picker, *f, 6) == "abcabc");
  // Hold requests: a gets 1, b 2; c is least loaded until it has 2.
  std::vector<Picked> held;
  for (int i = 0; i < 3; ++i) held.push_back(picker.Pick(*f, {}));  // a, b, c
  CHECK(std::string{Letter(held[0]), Letter(held[1]), Letter(held[2])} == "abc");
  picker.End(held[0], PickOutcome::kSuccess, 0);  // a: 0, b: 1, c: 1
  held.erase(held.begin());
  Picked next = picker.Pick(*f, {});
  CHECK(Letter(next) == 'a');                  // a: 1, b: 1, c: 1
  CHECK(Letter(picker.Pick(*f, {})) == 'b');   // least recently picked of the three
  picker.End(next, PickOutcome::kSuccess, 0);  // a: 0
  CHECK(Letter(picker.Pick(*f, {})) == 'a');
}

TEST_CASE("leastrequests: weights scale the load", "[least_requests]") {
  Cluster c = MakeCluster("ns/app:80", 2);
  BalancerSpec spec = Spec(BalanceAlgorithm::kLeastRequests);
  spec.weights[EndpointKey(1)] = 3;
  auto f = MustBuild(c, spec);
  EndpointPicker picker;
  // Held requests: a takes 3 for every 1 of b ((n+1)/weight).
  std::string picks;
  for (int i = 0; i < 8; ++i) picks += Letter(picker.Pick(*f, {}));
  CHECK(std::count(picks.begin(), picks.end(), 'a') == 6);
  CHECK(std::count(picks.begin(), picks.end(), 'b') == 2);
}

TEST_CASE("p2c: of two random endpoints, the one with fewer requests in flight", "[p2c]") {
  Cluster c = MakeCluster("ns/app:80", 2);
  auto f = MustBuild(c, Spec(BalanceAlgorithm::kPowerOfTwoChoices));
  EndpointPicker picker(PassiveHealthPolicy{}, 7);
  // With two endpoints both are always drawn: a held request on one sends
  // every other request to the other.
  Picked held = picker.Pick(*f, {});
  char busy = Letter(held);
  std::string picks = Sequence(picker, *f, 50);
  CHECK(picks.find(busy) == std::string::npos);
  picker.End(held, PickOutcome::kSuccess, 0);
}

TEST_CASE("p2c: a loaded endpoint among many gets far fewer requests", "[p2c]") {
  Cluster c = MakeCluster("ns/app:80", 10);
  auto f = MustBuild(c, Spec(BalanceAlgorithm::kPowerOfTwoChoices));
  EndpointPicker picker(PassiveHealthPolicy{}, 42);
  // Hold 100 requests (spread about evenly), then end all but those on a.
  std::vector<Picked> on_a;
  for (int i = 0; i < 100; ++i) {
    Picked p = picker.Pick(*f, {});
    on_a.push_back(p);
  }
  std::erase_if(on_a, [&](const Picked& p) {
    if (Letter(p) == 'a') return false;
    picker.End(p, PickOutcome::kSuccess, 0);
    return true;
  });
  REQUIRE(on_a.size() >= 5);
  std::map<char, int> counts;
  for (int i = 0; i < 10'000; ++i) {
    Picked p = picker.Pick(*f, {});
    ++counts[Letter(p)];
    picker.End(p, PickOutcome::kSuccess, 0);
  }
  // a only wins when drawn twice, which p2c never does: it gets nothing.
  CHECK(counts['a'] == 0);
  for (char e = 'b'; e <= 'j'; ++e) {
    INFO(e);
    CHECK(counts[e] > 800);  // about 1111 each
  }
  for (Picked& p : on_a) picker.End(p, PickOutcome::kSuccess, 0);
}

TEST_CASE("p2c: uniform over equally loaded endpoints (chi-square, fixed seed)", "[p2c]") {
  Cluster c = MakeCluster("ns/app:80", 20);
  auto f = MustBuild(c, Spec(BalanceAlgorithm::kPowerOfTwoChoices));
  EndpointPicker picker(PassiveHealthPolicy{}, 1234);
  std::map<char, int> counts;
  const int n = 20'000;
  for (int i = 0; i < n; ++i) {
    Picked p = picker.Pick(*f, {});
    ++counts[Letter(p)];
    picker.End(p, PickOutcome::kSuccess, 0);
  }
  double expected = n / 20.0, chi2 = 0;
  for (auto [e, count] : counts) chi2 += (count - expected) * (count - expected) / expected;
  CHECK(counts.size() == 20);
  // 19 degrees of freedom: the 99.9th percentile is 43.8. Ties between
  // idle endpoints favour the first drawn, so this is a uniform draw.
  CHECK(chi2 < 43.8);
}

}  // namespace
}  // namespace portico::dataplane::testing
