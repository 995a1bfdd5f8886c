// Maglev consistent hashing: the key sources, balance, the disruption when
// one endpoint of N leaves or joins, and keys of an ejected endpoint.
#include <catch2/catch.hpp>

#include <deque>
#include <map>
#include <set>
#include <vector>

#include "dataplane/upstream/maglev_table.h"
#include "tests/dataplane/balancing/balancing_support.h"

namespace portico::dataplane::testing {
namespace {

BalancerSpec ByHeader() {
  BalancerSpec spec;
  spec.algorithm = BalanceAlgorithm::kMaglev;
  spec.hash_key = {.source = HashKeySource::kHeader, .name = "X-User"};
  return spec;
}

// The endpoint each of `keys` user ids maps to.
std::vector<std::string> Owners(EndpointPicker& picker, const PickerFactory& f, int keys,
                                uint64_t now = 0) {
  std::vector<std::string> owners;
  for (int i = 0; i < keys; ++i) {
    FakeHeaders headers({{"x-user", "user-" + std::to_string(i)}});
    Picked p = picker.Pick(f, {.now_ms = now, .client_ip = "127.0.0.1", .headers = &headers});
    owners.push_back(p.endpoint->key);
    picker.End(p, PickOutcome::kSuccess, now);
  }
  return owners;
}

TEST_CASE("maglev: table sizes are primes from a fixed ladder, 100 entries per endpoint",
          "[maglev]") {
  CHECK(MaglevTable::SizeFor(0) == 0);
  CHECK(MaglevTable::SizeFor(1) == 65537);
  CHECK(MaglevTable::SizeFor(655) == 65537);
  CHECK(MaglevTable::SizeFor(656) == 131071);
  CHECK(MaglevTable::SizeFor(1000) == 131071);
  CHECK(MaglevTable::SizeFor(3000) == 524287);
}

TEST_CASE("maglev: a key always reaches the same endpoint, on every worker and config",
          "[maglev]") {
  Cluster c = MakeCluster("ns/app:80", 5);
  auto f = MustBuild(c, ByHeader());
  EndpointPicker one, two;
  std::vector<std::string> first = Owners(one, *f, 200);
  CHECK(Owners(one, *f, 200) == first);
  CHECK(Owners(two, *f, 200) == first);
  Cluster same = MakeCluster("ns/app:80", 5);
  auto rebuilt = MustBuild(same, ByHeader());
  CHECK(Owners(one, *rebuilt, 200) == first);
}

TEST_CASE("maglev: keys spread evenly (chi-square) and by weight", "[maglev]") {
  Cluster c = MakeCluster("ns/app:80", 10);
  auto f = MustBuild(c, ByHeader());
  EndpointPicker picker;
  std::map<std::string, int> counts;
  const int keys = 50'000;
  for (const std::string& owner : Owners(picker, *f, keys)) ++counts[owner];
  REQUIRE(counts.size() == 10);
  double expected = keys / 10.0, chi2 = 0;
  for (auto& [owner, count] : counts) chi2 += (count - expected) * (count - expected) / expected;
  CHECK(chi2 < 27.9);  // 9 degrees of freedom, 99.9th percentile

  BalancerSpec weighted = ByHeader();
  weighted.weights[EndpointKey(1)] = 3;
  Cluster two = MakeCluster("ns/two:80", 2);
  auto g = MustBuild(two, weighted);
  int on_a = 0;
  for (const std::string& owner : Owners(picker, *g, 20'000)) on_a += owner == EndpointKey(1);
  CHECK(on_a > 14'500);  // 3/4 of 20 000 is 15 000
  CHECK(on_a < 15'500);
}

TEST_CASE("maglev: when one endpoint of N leaves or joins, about 1/N of the keys move",
          "[maglev]") {
  const int n = 50, keys = 100'000;
  Cluster all = MakeCluster("ns/app:80", n);
  Cluster without = all;
  without.ready.erase(without.ready.begin() + 20);  // 10.0.0.21 leaves
  EndpointPicker picker;
  auto before = Owners(picker, *MustBuild(all, ByHeader()), keys);
  auto after = Owners(picker, *MustBuild(without, ByHeader()), keys);
  int on_gone = 0, moved_others = 0;
  for (int i = 0; i < keys; ++i) {
    if (before[i] == EndpointKey(21)) {
      ++on_gone;
    } else {
      moved_others += before[i] != after[i];
    }
  }
  // Keys of the endpoint that left must move (1/N = 2 %, measured 2.0 %);
  // Maglev moves some others too (measured 0.45 % of all keys, 0.3–0.6 %
  // for N = 10 … 1000). Bound: under 1 %.
  CHECK(on_gone > keys / n * 9 / 10);
  CHECK(on_gone < keys / n * 11 / 10);
  CHECK(moved_others < keys / 100);
  // It rejoins: the same endpoints build the same table, every key returns.
  auto again = Owners(picker, *MustBuild(all, ByHeader()), keys);
  int differ = 0;
  for (int i = 0; i < keys; ++i) differ += again[i] != before[i];
  CHECK(differ == 0);
}

TEST_CASE("maglev: the keys of an ejected endpoint move, no other key does", "[maglev]") {
  Cluster c = MakeCluster("ns/app:80", 8);
  auto f = MustBuild(c, ByHeader());
  EndpointPicker picker({.consecutive_failures = 1, .base_ejection_ms = 1000});
  auto before = Owners(picker, *f, 5000);
  // Eject c: fail one request that lands there.
  for (int i = 0;; ++i) {
    if (before[i] != EndpointKey(3)) continue;
    FakeHeaders headers({{"x-user", "user-" + std::to_string(i)}});
    Picked p = picker.Pick(*f, {.now_ms = 10, .headers = &headers});
    REQUIRE(picker.End(p, PickOutcome::kFailure, 10).ejected_until == 1010);
    break;
  }
  auto during = Owners(picker, *f, 5000, 20);
  auto during_again = Owners(picker, *f, 5000, 30);
  for (int i = 0; i < 5000; ++i) {
    if (before[i] == EndpointKey(3)) {
      CHECK(during[i] != EndpointKey(3));
      CHECK(during[i] == during_again[i]);  // still sticks together elsewhere
    } else {
      CHECK(during[i] == before[i]);
    }
  }
  CHECK(Owners(picker, *f, 5000, 1010) == before);
}

TEST_CASE("maglev: key from a header, a cookie, the path or the client IP", "[maglev]") {
  Cluster c = MakeCluster("ns/app:80", 16);
  EndpointPicker picker;
  auto owner = [&](const BalancerSpec& spec, const PickRequest& request) {
    auto f = MustBuild(c, spec);
    Picked p = picker.Pick(*f, request);
    picker.End(p, PickOutcome::kSuccess, 0);
    return p.endpoint->key;
  };
  // The same key from different clients reaches the same endpoint; over 16
  // endpoints, 20 different keys cannot all land on one.
  auto spread = [&](const BalancerSpec& spec, auto request_for) {
    std::set<std::string> owners;
    for (int i = 0; i < 20; ++i) {
      FakeHeaders h1, h2;
      PickRequest r1 = request_for(i, "10.1.1.1", h1), r2 = request_for(i, "10.2.2.2", h2);
      std::string o = owner(spec, r1);
      CHECK(owner(spec, r2) == o);
      owners.insert(o);
    }
    return owners.size();
  };
  BalancerSpec header = ByHeader();
  CHECK(spread(header, [](int i, const char* ip, FakeHeaders& h) {
          h.Set("x-user", "u" + std::to_string(i));
          return PickRequest{.client_ip = ip, .headers = &h};
        }) > 1);
  BalancerSpec cookie = ByHeader();
  cookie.hash_key = {.source = HashKeySource::kCookie, .name = "session"};
  CHECK(spread(cookie, [](int i, const char* ip, FakeHeaders& h) {
          h.Set("cookie", "theme=dark; session=s" + std::to_string(i) + "; x=1");
          return PickRequest{.client_ip = ip, .headers = &h};
        }) > 1);
  BalancerSpec path = ByHeader();
  path.hash_key = {.source = HashKeySource::kPath};
  static std::deque<std::string> paths;  // requests view them
  CHECK(spread(path, [](int i, const char* ip, FakeHeaders&) {
          paths.push_back("/item/" + std::to_string(i));
          return PickRequest{.client_ip = ip, .path = paths.back()};
        }) > 1);
  // By client IP: the same IP always reaches the same endpoint.
  BalancerSpec by_ip = ByHeader();
  by_ip.hash_key = {.source = HashKeySource::kClientIp};
  std::string first = owner(by_ip, {.client_ip = "10.9.9.9"});
  for (int i = 0; i < 5; ++i) CHECK(owner(by_ip, {.client_ip = "10.9.9.9"}) == first);
  // A request without the header hashes its client IP instead.
  FakeHeaders none;
  CHECK(owner(header, {.client_ip = "10.9.9.9", .headers = &none}) == first);
}

TEST_CASE("maglev: an unchanged endpoint set shares the previous config's table", "[maglev]") {
  Cluster c = MakeCluster("ns/app:80", 4);
  auto first = MustBuild(c, ByHeader());
  auto second = MustBuild(c, ByHeader(), first.get());
  CHECK(second->maglev(0) == first->maglev(0));
  Cluster changed = MakeCluster("ns/app:80", 5);
  auto third = MustBuild(changed, ByHeader(), second.get());
  CHECK(third->maglev(0) != second->maglev(0));
}

}  // namespace
}  // namespace portico::dataplane::testing
