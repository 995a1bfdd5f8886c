// Weighted splits across services (canary) and mirroring, nested.
#include <catch2/catch.hpp>

#include "dataplane/upstream/mirror_policy.h"
#include "tests/dataplane/balancing/balancing_support.h"

namespace portico::dataplane::testing {
namespace {

std::shared_ptr<const PickerFactory> Split(std::string name, std::vector<WeightedService> services,
                                           std::optional<StickyCookieSpec> sticky = {}) {
  std::string error;
  auto f = PickerFactory::ForWeighted(std::move(name), std::move(services), sticky, &error);
  INFO(error);
  REQUIRE(f != nullptr);
  return f;
}

struct Services {
  // stable: a, b; canary: c; other: d, e (each service its own endpoints).
  Cluster stable = MakeCluster("ns/stable:80", 2, 0, 1);
  Cluster canary = MakeCluster("ns/canary:80", 1, 0, 3);
  Cluster other = MakeCluster("ns/other:80", 2, 0, 4);
  std::shared_ptr<const PickerFactory> stable_f = MustBuild(stable, {});
  std::shared_ptr<const PickerFactory> canary_f = MustBuild(canary, {});
  std::shared_ptr<const PickerFactory> other_f = MustBuild(other, {});
};

TEST_CASE("split: services by smooth weighted round robin, endpoints within each", "[split]") {
  Services s;
  auto split = Split("ns/canary-split", {{s.stable_f, 3}, {s.canary_f, 1}});
  EndpointPicker picker;
  // Services: stable three times (deadlines 1/6, 1/2, 5/6), then the
  // canary (1); the stable service's endpoints alternate a, b.
  CHECK(Sequence(picker, *split, 8) == "abacbabc");
}

TEST_CASE("split: weight 0 takes no traffic, a service without endpoints is passed over",
          "[split]") {
  Services s;
  Cluster empty = MakeCluster("ns/empty:80", 0);
  auto empty_f = MustBuild(empty, {});
  auto split = Split("ns/split", {{s.stable_f, 1}, {s.canary_f, 0}, {empty_f, 5}});
  EndpointPicker picker;
  CHECK(Sequence(picker, *split, 6) == "ababab");
  std::string error;
  CHECK(PickerFactory::ForWeighted("ns/zero", {{s.stable_f, 0}}, {}, &error) == nullptr);
  CHECK(error == "weighted service ns/zero: no service with a weight above 0");
  // Everything empty: no pick (the caller answers 503).
  auto only_empty = Split("ns/only-empty", {{empty_f, 1}});
  CHECK(Sequence(picker, *only_empty, 1) == "-");
}

TEST_CASE("split: a service whose endpoints are all ejected yields to the others", "[split]") {
  Services s;
  auto split = Split("ns/split", {{s.stable_f, 1}, {s.canary_f, 1}});
  EndpointPicker picker({.consecutive_failures = 1, .max_ejected_percent = 100});
  // Eject c, the canary's only endpoint.
  for (int i = 0; i < 4; ++i) {
    Picked p = picker.Pick(*split, {.now_ms = 1});
    picker.End(p, Letter(p) == 'c' ? PickOutcome::kFailure : PickOutcome::kSuccess, 1);
  }
  // The canary's turns go to stable too, whose endpoints alternate.
  CHECK(Sequence(picker, *split, 6, {.now_ms = 2}) == "bababa");
  // Stable fully ejected too: last resort, flagged.
  for (int i = 0; i < 2; ++i) {
    Picked p = picker.Pick(*s.stable_f, {.now_ms = 3});
    picker.End(p, PickOutcome::kFailure, 3);
  }
  Picked p = picker.Pick(*split, {.now_ms = 4});
  CHECK(p.endpoint != nullptr);
  CHECK(p.last_resort);
  picker.End(p, PickOutcome::kUnjudged, 4);
  // Passed-over picks left nothing in flight.
  for (int n = 1; n <= 3; ++n) {
    std::string cluster = n <= 2 ? "ns/stable:80" : "ns/canary:80";
    CHECK(picker.Stats(cluster, EndpointKey(n), 4)->in_flight == 0);
  }
}

TEST_CASE("split: nested splits, with a sticky cookie per level", "[split]") {
  Services s;
  StickyCookieSpec inner_cookie{.name = "inner"};
  BalancerSpec sticky_endpoints;
  sticky_endpoints.sticky = StickyCookieSpec{.name = "ep"};
  auto stable_sticky = MustBuild(s.stable, sticky_endpoints);
  auto inner = Split("ns/inner", {{stable_sticky, 1}, {s.canary_f, 1}}, inner_cookie);
  auto outer = Split("ns/outer", {{inner, 1}, {s.other_f, 1}}, StickyCookieSpec{.name = "outer"});
  EndpointPicker picker;
  Picked first = picker.Pick(*outer, {});
  CHECK(Letter(first) == 'a');  // outer → inner → stable → a
  REQUIRE(first.set_cookies.size() == 3);
  CHECK(first.set_cookies[0].rfind("ep=", 0) == 0);
  CHECK(first.set_cookies[1].rfind("inner=", 0) == 0);
  CHECK(first.set_cookies[2].rfind("outer=", 0) == 0);
  picker.End(first, PickOutcome::kSuccess, 0);
  std::string cookie;
  for (const std::string& set : first.set_cookies) {
    cookie += set.substr(0, set.find(';')) + "; ";
  }
  FakeHeaders headers({{"cookie", cookie}});
  for (int i = 0; i < 6; ++i) {
    Picked again = picker.Pick(*outer, {.headers = &headers});
    CHECK(Letter(again) == 'a');
    CHECK(again.set_cookies.empty());
    picker.End(again, PickOutcome::kSuccess, 0);
  }
  // Without cookies the outer split alternates inner / other.
  CHECK(Sequence(picker, *outer, 4).find_first_of("de") != std::string::npos);
}

TEST_CASE("split: invalid splits are refused with the field named", "[split]") {
  Services s;
  std::string error;
  CHECK(PickerFactory::ForWeighted("ns/x", {{s.stable_f, 1}, {s.stable_f, 2}}, {}, &error) ==
        nullptr);
  CHECK(error == "weighted service ns/x: services[1]: 'ns/stable:80' appears twice");
  CHECK(PickerFactory::ForWeighted("ns/x", {{s.stable_f, -1}}, {}, &error) == nullptr);
  CHECK(error == "weighted service ns/x: services[0].weight: -1 is not 0 or in (0, 1000000]");
  CHECK(PickerFactory::ForWeighted("ns/x", {{nullptr, 1}}, {}, &error) == nullptr);
  CHECK(error == "weighted service ns/x: services[0]: no service");
  std::shared_ptr<const PickerFactory> deep = s.stable_f;
  for (int i = 0; i < PickerFactory::kMaxDepth - 1; ++i) {
    deep = Split("ns/level" + std::to_string(i), {{deep, 1}});
  }
  CHECK(PickerFactory::ForWeighted("ns/too-deep", {{deep, 1}}, {}, &error) == nullptr);
  CHECK(error == "weighted service ns/too-deep: services[0]: services nest deeper than 8");
}

TEST_CASE("mirroring: exactly `percent` of the requests get a copy", "[mirror]") {
  Services s;
  std::string error;
  auto mirror =
      PickerFactory::ForMirroring("ns/mirror", s.stable_f, {{s.canary_f, 10}, {s.other_f, 100}},
                                  {.mirror_body = true, .max_body_size = 1024}, &error);
  REQUIRE(mirror != nullptr);
  EndpointPicker picker;
  int to_canary = 0, to_other = 0;
  for (int i = 0; i < 100; ++i) {
    Picked p = picker.Pick(*mirror, {});
    CHECK((Letter(p) == 'a' || Letter(p) == 'b'));  // the main service serves
    for (const MirrorPlan& plan : p.mirrors) {
      to_canary += plan.service == s.canary_f.get();
      to_other += plan.service == s.other_f.get();
      CHECK(plan.body.max_body_size == 1024);
    }
    picker.End(p, PickOutcome::kSuccess, 0);
  }
  CHECK(to_canary == 10);
  CHECK(to_other == 100);
  // Mirrors nest: a split can be the main service or a mirror.
  auto split = Split("ns/split", {{mirror, 1}, {s.other_f, 1}});
  Picked p = picker.Pick(*split, {});
  CHECK(Letter(p) != '-');
  picker.End(p, PickOutcome::kSuccess, 0);
  CHECK(PickerFactory::ForMirroring("ns/m", s.stable_f, {{s.canary_f, 101}}, {}, &error) ==
        nullptr);
  CHECK(error == "mirroring service ns/m: mirrors[0].percent: 101 is not in [0, 100]");
}

TEST_CASE("mirroring: percent spreads evenly, body decisions", "[mirror]") {
  std::string picks;
  for (uint64_t i = 0; i < 10; ++i) picks += MirrorsRequest(i, 30) ? 'x' : '.';
  CHECK(picks == "...x..x..x");
  CHECK_FALSE(MirrorsRequest(0, 0));
  CHECK(MirrorsRequest(5, 100));
  CHECK(DecideMirrorBody(false, 10, 5) == MirrorBody::kWithoutBody);
  CHECK(DecideMirrorBody(true, -1, 1 << 30) == MirrorBody::kWithBody);
  CHECK(DecideMirrorBody(true, 10, 10) == MirrorBody::kWithBody);
  CHECK(DecideMirrorBody(true, 10, 11) == MirrorBody::kSkip);
  CHECK(DecideMirrorBody(true, 10, -1) == MirrorBody::kBufferUpTo);
}

}  // namespace
}  // namespace portico::dataplane::testing
