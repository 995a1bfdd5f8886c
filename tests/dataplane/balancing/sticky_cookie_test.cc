// Sticky sessions by cookie: the round trip, the fallback when the named
// endpoint is unknown, gone or ejected, and Set-Cookie rendering.
#include <catch2/catch.hpp>

#include "dataplane/upstream/sticky_cookie.h"
#include "tests/dataplane/balancing/balancing_support.h"

namespace portico::dataplane::testing {
namespace {

BalancerSpec Sticky() {
  BalancerSpec spec;
  spec.sticky = StickyCookieSpec{.name = "lb", .http_only = true};
  return spec;
}

// "lb=<value>; Path=/; HttpOnly" → "<value>".
std::string CookieValue(const std::string& set_cookie) {
  size_t eq = set_cookie.find('='), semi = set_cookie.find(';');
  return set_cookie.substr(eq + 1, semi - eq - 1);
}

Picked PickWithCookie(EndpointPicker& picker, const PickerFactory& f, const std::string& cookie,
                      uint64_t now = 0) {
  FakeHeaders headers({{"cookie", cookie}});
  Picked p = picker.Pick(f, {.now_ms = now, .headers = &headers});
  picker.End(p, PickOutcome::kSuccess, now);
  return p;
}

TEST_CASE("sticky: the first response sets a cookie that brings the client back", "[sticky]") {
  Cluster c = MakeCluster("ns/app:80", 3);
  auto f = MustBuild(c, Sticky());
  EndpointPicker picker;
  Picked first = picker.Pick(*f, {});
  picker.End(first, PickOutcome::kSuccess, 0);
  REQUIRE(first.set_cookies.size() == 1);
  const std::string& set_cookie = first.set_cookies[0];
  CHECK(set_cookie.rfind("lb=", 0) == 0);
  CHECK(set_cookie.substr(set_cookie.find(';')) == "; Path=/; HttpOnly");
  std::string value = CookieValue(set_cookie);
  CHECK(value.size() == 16);
  CHECK(value.find("10.0.0") == std::string::npos);  // opaque, not the address
  // Round robin would move on; the cookie keeps the client on `first`.
  for (int i = 0; i < 5; ++i) {
    Picked again = PickWithCookie(picker, *f, "other=1; lb=" + value);
    CHECK(again.endpoint == first.endpoint);
    CHECK(again.set_cookies.empty());  // already set
  }
  // The value is the same on every worker (and proxy replica).
  EndpointPicker other_worker;
  CHECK(PickWithCookie(other_worker, *f, "lb=" + value).endpoint == first.endpoint);
}

TEST_CASE("sticky: an unknown or malformed value gets a fresh pick and a new cookie", "[sticky]") {
  Cluster c = MakeCluster("ns/app:80", 3);
  auto f = MustBuild(c, Sticky());
  EndpointPicker picker;
  for (const char* cookie : {"lb=0123456789abcdef", "lb=10.0.0.1:80", "lb=", "lb=zz"}) {
    INFO(cookie);
    Picked p = PickWithCookie(picker, *f, cookie);
    CHECK(p.endpoint != nullptr);
    REQUIRE(p.set_cookies.size() == 1);
    CHECK(CookieValue(p.set_cookies[0]).size() == 16);
  }
}

TEST_CASE("sticky: a gone or ejected endpoint falls back to a fresh pick", "[sticky]") {
  Cluster c = MakeCluster("ns/app:80", 3);
  auto f = MustBuild(c, Sticky());
  EndpointPicker picker({.consecutive_failures = 1, .base_ejection_ms = 1000});
  std::string value_of_b = FormatStickyValue(StickyCookieId("ns/app:80", EndpointKey(2)));
  CHECK(Letter(PickWithCookie(picker, *f, "lb=" + value_of_b)) == 'b');
  // b fails once: ejected; its clients go elsewhere and get a new cookie.
  FakeHeaders headers({{"cookie", "lb=" + value_of_b}});
  Picked p = picker.Pick(*f, {.now_ms = 5, .headers = &headers});
  REQUIRE(picker.End(p, PickOutcome::kFailure, 5).ejected_until != 0);
  Picked moved = PickWithCookie(picker, *f, "lb=" + value_of_b, 10);
  CHECK(Letter(moved) != 'b');
  REQUIRE(moved.set_cookies.size() == 1);
  CHECK(CookieValue(moved.set_cookies[0]) != value_of_b);
  // b leaves the cluster: the same.
  Cluster without_b = c;
  without_b.ready.erase(without_b.ready.begin() + 1);
  auto g = MustBuild(without_b, Sticky());
  Picked gone = PickWithCookie(picker, *g, "lb=" + value_of_b, 2000);
  CHECK(Letter(gone) != 'b');
  CHECK(gone.set_cookies.size() == 1);
}

TEST_CASE("sticky: a terminating endpoint keeps no session while ready ones exist", "[sticky]") {
  Cluster c = MakeCluster("ns/app:80", 2, 1);  // c is terminating
  auto f = MustBuild(c, Sticky());
  EndpointPicker picker;
  std::string value_of_c = FormatStickyValue(StickyCookieId("ns/app:80", EndpointKey(3)));
  Picked p = PickWithCookie(picker, *f, "lb=" + value_of_c);
  CHECK(Letter(p) != 'c');
  CHECK(p.set_cookies.size() == 1);
}

TEST_CASE("sticky: works over every algorithm", "[sticky]") {
  auto algorithm =
      GENERATE(BalanceAlgorithm::kWeightedRoundRobin, BalanceAlgorithm::kPowerOfTwoChoices,
               BalanceAlgorithm::kLeastRequests, BalanceAlgorithm::kMaglev);
  Cluster c = MakeCluster("ns/app:80", 6);
  BalancerSpec spec = Sticky();
  spec.algorithm = algorithm;
  auto f = MustBuild(c, spec);
  EndpointPicker picker;
  for (int n = 1; n <= 6; ++n) {
    std::string value = FormatStickyValue(StickyCookieId("ns/app:80", EndpointKey(n)));
    for (int i = 0; i < 3; ++i) {
      CHECK(Letter(PickWithCookie(picker, *f, "lb=" + value)) == 'a' + n - 1);
    }
  }
}

TEST_CASE("sticky: Set-Cookie attributes follow Traefik's options", "[sticky]") {
  CHECK(StickyCookieAttributes({}) == "; Path=/");
  CHECK(StickyCookieAttributes({.secure = true,
                                .http_only = true,
                                .same_site = SameSite::kStrict,
                                .max_age = 3600,
                                .path = "/app",
                                .domain = "example.com"}) ==
        "; Path=/app; Domain=example.com; Max-Age=3600; Secure; HttpOnly; SameSite=Strict");
  CHECK(StickyCookieAttributes({.same_site = SameSite::kNone, .max_age = -1}) ==
        "; Path=/; Max-Age=0; SameSite=None");
  CHECK(StickyCookieAttributes({.same_site = SameSite::kLax}) == "; Path=/; SameSite=Lax");
}

TEST_CASE("sticky: default cookie name, value format and parsing", "[sticky]") {
  std::string name = DefaultStickyCookieName("ns/app:80");
  CHECK(name.size() == 6);
  CHECK(name[0] == '_');
  CHECK(name == DefaultStickyCookieName("ns/app:80"));
  CHECK(name != DefaultStickyCookieName("ns/other:80"));
  CHECK(FormatStickyValue(0x0123456789abcdefULL) == "0123456789abcdef");
  CHECK(ParseStickyValue("0123456789ABCDEF") == 0x0123456789abcdefULL);
  CHECK_FALSE(ParseStickyValue("0123456789abcde"));
  CHECK_FALSE(ParseStickyValue("0123456789abcdeg"));
  // The value depends on the service as well as the endpoint.
  CHECK(StickyCookieId("ns/a:80", "10.0.0.1:80") != StickyCookieId("ns/b:80", "10.0.0.1:80"));
}

TEST_CASE("sticky: cookie header parsing", "[sticky]") {
  CHECK(FindCookie("a=1; lb=xyz; b=2", "lb") == "xyz");
  CHECK(FindCookie("lb=\"quoted\"", "lb") == "quoted");
  CHECK(FindCookie("xlb=1; lb = 2 ", "lb") == "2");
  CHECK(FindCookie("a=1;;lb", "lb").empty());
  CHECK(FindCookie("", "lb").empty());
  CHECK(FindCookie("LB=1", "lb").empty());  // names are case-sensitive
}

}  // namespace
}  // namespace portico::dataplane::testing
