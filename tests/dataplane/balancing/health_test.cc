// Passive health under every algorithm: ejected endpoints are skipped and
// come back, serving+terminating endpoints only when nothing else is left,
// no endpoint → no pick (the caller answers 503), and health, counters and
// requests in flight survive a config swap.
#include <catch2/catch.hpp>

#include "tests/dataplane/balancing/balancing_support.h"

namespace portico::dataplane::testing {
namespace {

constexpr PassiveHealthPolicy kEjectAtOnce{.consecutive_failures = 1,
                                           .base_ejection_ms = 1000,
                                           .max_ejection_ms = 10'000,
                                           .max_ejected_percent = 100};

BalancerSpec WithAlgorithm(BalanceAlgorithm algorithm) {
  BalancerSpec spec;
  spec.algorithm = algorithm;
  spec.hash_key = {.source = HashKeySource::kHeader, .name = "X-User"};  // Maglev only
  return spec;
}

// Fails one request on endpoint `key` (whatever the algorithm would pick,
// the failure is reported on a pick of that endpoint).
void FailOn(EndpointPicker& picker, const PickerFactory& f, const std::string& key, uint64_t now) {
  for (int i = 0; i < 10'000; ++i) {
    FakeHeaders headers({{"x-user", std::to_string(i)}});
    PickRequest request{.now_ms = now, .client_ip = "127.0.0.1", .headers = &headers};
    Picked p = picker.Pick(f, request);
    REQUIRE(p.endpoint != nullptr);
    bool hit = p.endpoint->key == key;
    picker.End(p, hit ? PickOutcome::kFailure : PickOutcome::kSuccess, now);
    if (hit) return;
  }
  FAIL("never picked " << key);
}

std::string Letters(EndpointPicker& picker, const PickerFactory& f, int n, uint64_t now) {
  std::string out;
  for (int i = 0; i < n; ++i) {
    FakeHeaders headers({{"x-user", std::to_string(i)}});
    Picked p = picker.Pick(f, {.now_ms = now, .client_ip = "127.0.0.1", .headers = &headers});
    out += Letter(p);
    picker.End(p, PickOutcome::kSuccess, now);
  }
  return out;
}

TEST_CASE("health: every algorithm skips an ejected endpoint until it returns", "[health]") {
  auto algorithm =
      GENERATE(BalanceAlgorithm::kWeightedRoundRobin, BalanceAlgorithm::kPowerOfTwoChoices,
               BalanceAlgorithm::kLeastRequests, BalanceAlgorithm::kMaglev);
  INFO(BalanceAlgorithmName(algorithm));
  Cluster c = MakeCluster("ns/app:80", 4);
  auto f = MustBuild(c, WithAlgorithm(algorithm));
  EndpointPicker picker(kEjectAtOnce);
  FailOn(picker, *f, EndpointKey(2), 100);
  CHECK(picker.ejections_total() == 1);
  std::string during = Letters(picker, *f, 400, 500);
  CHECK(during.find('b') == std::string::npos);
  for (char letter : {'a', 'c', 'd'}) CHECK(during.find(letter) != std::string::npos);
  std::string after = Letters(picker, *f, 400, 1100);  // the ejection (1 s) ran out
  CHECK(after.find('b') != std::string::npos);
}

TEST_CASE("health: terminating endpoints serve only when no ready one can", "[health]") {
  auto algorithm =
      GENERATE(BalanceAlgorithm::kWeightedRoundRobin, BalanceAlgorithm::kPowerOfTwoChoices,
               BalanceAlgorithm::kLeastRequests, BalanceAlgorithm::kMaglev);
  INFO(BalanceAlgorithmName(algorithm));
  Cluster c = MakeCluster("ns/app:80", 2, 1);  // a, b ready; c terminating
  auto f = MustBuild(c, WithAlgorithm(algorithm));
  EndpointPicker picker(kEjectAtOnce);
  CHECK(Letters(picker, *f, 100, 0).find('c') == std::string::npos);
  FailOn(picker, *f, EndpointKey(1), 0);
  FailOn(picker, *f, EndpointKey(2), 0);
  CHECK(Letters(picker, *f, 20, 10) == std::string(20, 'c'));
  // Only terminating endpoints: they serve.
  Cluster draining = MakeCluster("ns/drain:80", 0, 2);
  auto g = MustBuild(draining, WithAlgorithm(algorithm));
  std::string picks = Letters(picker, *g, 50, 0);
  CHECK(picks.find('-') == std::string::npos);
}

TEST_CASE("health: with everything ejected the picker still tries, flagged last resort",
          "[health]") {
  Cluster c = MakeCluster("ns/app:80", 2);
  auto f = MustBuild(c, {});
  EndpointPicker picker(kEjectAtOnce);
  FailOn(picker, *f, EndpointKey(1), 0);
  FailOn(picker, *f, EndpointKey(2), 0);
  Picked p = picker.Pick(*f, {.now_ms = 10});
  CHECK(p.endpoint != nullptr);
  CHECK(p.last_resort);
  picker.End(p, PickOutcome::kUnjudged, 10);
}

TEST_CASE("health: no endpoint at all gives no pick (the caller answers 503)", "[health]") {
  auto algorithm =
      GENERATE(BalanceAlgorithm::kWeightedRoundRobin, BalanceAlgorithm::kPowerOfTwoChoices,
               BalanceAlgorithm::kLeastRequests, BalanceAlgorithm::kMaglev);
  Cluster empty = MakeCluster("ns/none:80", 0);
  BalancerSpec spec = WithAlgorithm(algorithm);
  spec.sticky = StickyCookieSpec{};
  auto f = MustBuild(empty, spec);
  EndpointPicker picker;
  Picked p = picker.Pick(*f, {});
  CHECK(p.endpoint == nullptr);
  CHECK(p.set_cookies.empty());
  CHECK(picker.End(p, PickOutcome::kFailure, 0).ejected_until == 0);  // harmless
}

TEST_CASE("health: ejection, counters and requests in flight survive a config swap", "[health]") {
  Cluster c = MakeCluster("ns/app:80", 3);
  auto first = MustBuild(c, {});
  EndpointPicker picker(kEjectAtOnce);
  Picked held = picker.Pick(*first, {});  // a, still in flight across the swap
  REQUIRE(Letter(held) == 'a');
  FailOn(picker, *first, EndpointKey(2), 0);
  Cluster same = MakeCluster("ns/app:80", 3);
  auto second = MustBuild(same, {});
  CHECK(Letters(picker, *second, 30, 10).find('b') == std::string::npos);
  auto stats = picker.Stats("ns/app:80", EndpointKey(1), 10);
  REQUIRE(stats);
  CHECK(stats->in_flight == 1);
  CHECK(stats->requests >= 2);
  CHECK(picker.Stats("ns/app:80", EndpointKey(2), 10)->ejected);
  EndResult end = picker.End(held, PickOutcome::kSuccess, 10);
  CHECK(end.cluster == "ns/app:80");
  CHECK(end.endpoint == EndpointKey(1));
  CHECK(picker.Stats("ns/app:80", EndpointKey(1), 10)->in_flight == 0);
}

TEST_CASE("health: state of endpoints that left is dropped once no request is on them",
          "[health]") {
  Cluster c = MakeCluster("ns/app:80", 3);
  auto first = MustBuild(c, {});
  EndpointPicker picker;
  Picked on_c;
  for (int i = 0; i < 3; ++i) {
    Picked p = picker.Pick(*first, {});
    if (Letter(p) == 'c') {
      on_c = p;
    } else {
      picker.End(p, PickOutcome::kSuccess, 0);
    }
  }
  REQUIRE(Letter(on_c) == 'c');
  Cluster smaller = MakeCluster("ns/app:80", 1);  // only a is left
  auto second = MustBuild(smaller, {});
  CHECK(Sequence(picker, *second, 2) == "aa");
  CHECK(picker.tracked_endpoints("ns/app:80") == 2);  // a, and c with a request on it
  picker.End(on_c, PickOutcome::kSuccess, 0);
  auto third = MustBuild(smaller, {});
  CHECK(Sequence(picker, *third, 1) == "a");
  CHECK(picker.tracked_endpoints("ns/app:80") == 1);
  CHECK(picker.SweepIdle(1000, 500) == 1);  // unused for 1000 ms
  CHECK(picker.tracked_endpoints("ns/app:80") == 0);
}

TEST_CASE("health: an ejection decided by a sibling worker applies here", "[health]") {
  Cluster c = MakeCluster("ns/app:80", 3);
  auto f = MustBuild(c, {});
  EndpointPicker decider(kEjectAtOnce), sibling(kEjectAtOnce);
  CHECK(Sequence(sibling, *f, 3) == "abc");
  Picked p = decider.Pick(*f, {.now_ms = 100});
  EndResult end = decider.End(p, PickOutcome::kFailure, 100);
  REQUIRE(end.ejected_until == 1100);
  sibling.ApplyEjection(end.cluster, end.endpoint, end.cluster_size, end.ejected_until, 150);
  CHECK(Sequence(sibling, *f, 4, {.now_ms = 200}) == "bcbc");
  CHECK(Sequence(sibling, *f, 3, {.now_ms = 1100}).find('a') != std::string::npos);
}

TEST_CASE("health: the share cap keeps most of a cluster in rotation", "[health]") {
  Cluster c = MakeCluster("ns/app:80", 4);
  auto f = MustBuild(c, {});
  EndpointPicker picker({.consecutive_failures = 1, .max_ejected_percent = 50});
  CHECK(Sequence(picker, *f, 4, {}, PickOutcome::kFailure) == "abcd");
  CHECK(picker.ejections_total() == 2);
  CHECK(Sequence(picker, *f, 4, {.now_ms = 1}) == "cdcd");
}

// A service's passiveHealthCheck as the service catalog maps it.
BalancerSpec OwnPassiveRules(uint64_t window_ms, int attempts) {
  BalancerSpec spec;
  spec.passive_health = PassiveHealthPolicy{.consecutive_failures = attempts,
                                            .base_ejection_ms = window_ms,
                                            .max_ejection_ms = window_ms,
                                            .failure_window_ms = window_ms};
  return spec;
}

TEST_CASE("health: a service's own passive rules: attempts within the window, out that long",
          "[health]") {
  Cluster c = MakeCluster("ns/app:80", 3);
  auto f = MustBuild(c, OwnPassiveRules(1000, 2));
  auto shared = MustBuild(c, {});  // another service over the cluster: the proxy's rules
  CHECK(f->state_key() == "ns/app:80|passive|1000|2");
  CHECK(ClusterOfStateKey(f->state_key()) == "ns/app:80");
  EndpointPicker picker({.consecutive_failures = 0, .max_ejected_percent = 100});  // flags: off
  auto ejected = [&](const PickerFactory& factory, uint64_t now) {
    std::optional<EndpointStats> stats = picker.Stats(factory.state_key(), EndpointKey(1), now);
    REQUIRE(stats.has_value());
    return stats->ejected;
  };
  // Two failures more than the window apart do not eject.
  FailOn(picker, *f, EndpointKey(1), 0);
  FailOn(picker, *f, EndpointKey(1), 1500);
  CHECK_FALSE(ejected(*f, 1600));
  // The second within the window does, for the window's length, and again
  // the same length the next time (no growth).
  FailOn(picker, *f, EndpointKey(1), 1700);
  CHECK(ejected(*f, 1800));
  CHECK(Letters(picker, *f, 4, 1800).find('a') == std::string::npos);
  CHECK(picker.ejections_total() == 1);
  // The other service's state is apart, under the flags (passive health off).
  FailOn(picker, *shared, EndpointKey(1), 1800);
  FailOn(picker, *shared, EndpointKey(1), 1800);
  CHECK_FALSE(ejected(*shared, 1900));
  CHECK_FALSE(ejected(*f, 2700));
  FailOn(picker, *f, EndpointKey(1), 2700);
  FailOn(picker, *f, EndpointKey(1), 2800);
  CHECK(ejected(*f, 3700));
  CHECK_FALSE(ejected(*f, 3800));
  CHECK(picker.ejections_total() == 2);
}

TEST_CASE("health: a sibling applies an ejection under the service's own rules", "[health]") {
  Cluster c = MakeCluster("ns/app:80", 2);
  auto f = MustBuild(c, OwnPassiveRules(500, 1));
  // The proxy's flags turn passive health off on both workers.
  EndpointPicker decider({.consecutive_failures = 0}), sibling({.consecutive_failures = 0});
  Picked p = decider.Pick(*f, {.now_ms = 10});
  EndResult end = decider.End(p, PickOutcome::kFailure, 10);
  REQUIRE(end.ejected_until == 510);
  REQUIRE(end.passive != nullptr);
  // The notice arrives before the sibling ever picked from the service.
  sibling.ApplyEjection(end.cluster, end.endpoint, end.cluster_size, end.ejected_until, 20,
                        end.passive);
  CHECK(Sequence(sibling, *f, 2, {.now_ms = 30}) == "bb");
}

TEST_CASE("spec: a service's passive rules need attempts and a window", "[spec]") {
  BalancerSpec spec;
  spec.passive_health = PassiveHealthPolicy{.consecutive_failures = 0, .base_ejection_ms = 10};
  CHECK(ValidateBalancerSpec(spec).find("passiveHealthCheck") != std::string::npos);
  spec.passive_health = PassiveHealthPolicy{.consecutive_failures = 1, .base_ejection_ms = 0};
  CHECK(ValidateBalancerSpec(spec).find("passiveHealthCheck") != std::string::npos);
  spec.passive_health = PassiveHealthPolicy{.consecutive_failures = 1, .base_ejection_ms = 1};
  CHECK(ValidateBalancerSpec(spec).empty());
}

}  // namespace
}  // namespace portico::dataplane::testing
