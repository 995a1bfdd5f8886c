// BalancerSpec parsing and validation: names as in Traefik, errors that
// name the field.
#include <catch2/catch.hpp>

#include "tests/dataplane/balancing/balancing_support.h"

namespace portico::dataplane::testing {
namespace {

TEST_CASE("spec: algorithm and sameSite names", "[spec]") {
  CHECK(ParseBalanceAlgorithm("") == BalanceAlgorithm::kWeightedRoundRobin);
  CHECK(ParseBalanceAlgorithm("wrr") == BalanceAlgorithm::kWeightedRoundRobin);
  CHECK(ParseBalanceAlgorithm("P2C") == BalanceAlgorithm::kPowerOfTwoChoices);
  CHECK(ParseBalanceAlgorithm("leastrequests") == BalanceAlgorithm::kLeastRequests);
  CHECK(ParseBalanceAlgorithm("maglev") == BalanceAlgorithm::kMaglev);
  CHECK_FALSE(ParseBalanceAlgorithm("hrw"));
  CHECK(BalanceAlgorithmName(BalanceAlgorithm::kMaglev) == "maglev");
  CHECK(ParseSameSite("") == SameSite::kUnset);
  CHECK(ParseSameSite("Lax") == SameSite::kLax);
  CHECK(ParseSameSite("none") == SameSite::kNone);
  CHECK(ParseSameSite("strict") == SameSite::kStrict);
  CHECK_FALSE(ParseSameSite("sometimes"));
}

TEST_CASE("spec: invalid specs are refused with the field named", "[spec]") {
  Cluster c = MakeCluster("ns/app:80", 2);
  auto error_of = [&](const BalancerSpec& spec) {
    std::string error;
    CHECK(PickerFactory::ForCluster(c, spec, &error) == nullptr);
    return error;
  };
  BalancerSpec header;
  header.algorithm = BalanceAlgorithm::kMaglev;
  header.hash_key = {.source = HashKeySource::kHeader, .name = "X User"};
  CHECK(error_of(header) == "cluster ns/app:80: hashKey.header: 'X User' is not a header name");
  header.hash_key = {.source = HashKeySource::kCookie, .name = ""};
  CHECK(error_of(header) == "cluster ns/app:80: hashKey.cookie: '' is not a cookie name");
  BalancerSpec sticky;
  sticky.sticky = StickyCookieSpec{.name = "a;b"};
  CHECK(error_of(sticky) == "cluster ns/app:80: sticky.cookie.name: 'a;b' is not a cookie name");
  sticky.sticky = StickyCookieSpec{.path = "app"};
  CHECK(error_of(sticky) ==
        "cluster ns/app:80: sticky.cookie.path: 'app' must start with '/' and hold no ';' or "
        "control character");
  sticky.sticky = StickyCookieSpec{.domain = "a.com; Secure"};
  CHECK(error_of(sticky) ==
        "cluster ns/app:80: sticky.cookie.domain: 'a.com; Secure' holds a ';' or a control "
        "character");
  BalancerSpec weights;
  weights.weights["10.0.0.1:80"] = 0;
  CHECK(error_of(weights) == "cluster ns/app:80: weights[10.0.0.1:80]: 0 is not in (0, 1000000]");
  weights.weights["10.0.0.1:80"] = std::numeric_limits<double>::infinity();
  CHECK(error_of(weights) == "cluster ns/app:80: weights[10.0.0.1:80]: inf is not in (0, 1000000]");
  // A header name is only checked when Maglev uses it.
  BalancerSpec unused;
  unused.hash_key = {.source = HashKeySource::kHeader, .name = "X User"};
  std::string error;
  CHECK(PickerFactory::ForCluster(c, unused, &error) != nullptr);
}

}  // namespace
}  // namespace portico::dataplane::testing
