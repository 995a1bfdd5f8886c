// The single-value checks the CRD decoders share.
#include <catch2/catch.hpp>

#include "controlplane/crd/value_checks.h"

namespace portico::controlplane::crd {
namespace {

using namespace std::chrono_literals;

TEST_CASE("traefik durations") {
  struct Case {
    const char* text;
    std::chrono::nanoseconds want;
  };
  for (const Case& c : {Case{"10", 10s}, Case{"0", 0s}, Case{"100ms", 100ms}, Case{"1m30s", 90s},
                        Case{"1.5h", 90min}, Case{"-1ms", -1ms}, Case{"+2s", 2s},
                        Case{"250us", 250us}, Case{"250\xC2\xB5s", 250us}, Case{"3ns", 3ns},
                        Case{".5s", 500ms}, Case{"1h2m3s4ms", 3723004ms}}) {
    std::chrono::nanoseconds got{};
    INFO(c.text);
    REQUIRE(ParseTraefikDuration(c.text, &got));
    CHECK(got == c.want);
  }
  for (const char* bad :
       {"", "ms", "10 s", "1d", "1.2.3s", "-", "s1", "9999999999h", "99999999999999999999"}) {
    std::chrono::nanoseconds got{};
    INFO(bad);
    CHECK_FALSE(ParseTraefikDuration(bad, &got));
  }
}

TEST_CASE("port names") {
  for (const char* ok : {"http", "https-alt", "h2c", "a1", "metrics-9100"}) CHECK(IsPortName(ok));
  for (const char* bad :
       {"", "8080", "-http", "http-", "ht--tp", "HTTP", "a_b", "this-name-is-too-long"}) {
    INFO(bad);
    CHECK_FALSE(IsPortName(bad));
  }
}

TEST_CASE("status ranges") {
  std::vector<StatusRange> out;
  CHECK(ParseStatusRanges("500-599", &out) == "");
  CHECK(ParseStatusRanges("404, 418", &out) == "");
  CHECK(out == std::vector<StatusRange>{{500, 599}, {404, 404}, {418, 418}});
  for (const char* bad : {"", "5xx", "99", "600", "500-", "-500", "500-599-600", "404,", "0500"}) {
    std::vector<StatusRange> ignored;
    INFO(bad);
    CHECK_FALSE(ParseStatusRanges(bad, &ignored).empty());
  }
  std::vector<StatusRange> ignored;
  CHECK(ParseStatusRanges("503-500", &ignored) == "a range must not end before it starts");
}

TEST_CASE("IP ranges, header names, URLs, RE2") {
  for (const char* ok : {"10.0.0.1", "10.0.0.0/8", "0.0.0.0/0", "::1", "2001:db8::/32", "::/0"}) {
    CHECK(IsIpOrCidr(ok));
  }
  for (const char* bad : {"", "10.0.0.0/", "10.0.0.0/33", "::/129", "10.0.0.0/8/8", "host",
                          "10.0.0.0/-1", "10.0.0.0/a"}) {
    INFO(bad);
    CHECK_FALSE(IsIpOrCidr(bad));
  }
  CHECK(IsHeaderName("X-Forwarded-For"));
  CHECK_FALSE(IsHeaderName("X Forwarded"));
  CHECK_FALSE(IsHeaderName("X:Y"));
  CHECK_FALSE(IsHeaderName(""));
  CHECK(IsHeaderValue("text/html; charset=utf-8"));
  CHECK_FALSE(IsHeaderValue("a\r\nb"));
  CHECK_FALSE(IsHeaderValue(std::string_view("a\0b", 3)));
  CHECK(IsHttpUrl("http://auth:9000/check?x=1"));
  CHECK(IsHttpUrl("https://[::1]/"));
  for (const char* bad :
       {"auth:9000", "ftp://x", "http://", "http:///path", "http://u@h/", "http://h/a b"}) {
    INFO(bad);
    CHECK_FALSE(IsHttpUrl(bad));
  }
  CHECK(Re2Error("^/api/(v[0-9]+)$").empty());
  CHECK_FALSE(Re2Error("(").empty());
  CHECK_FALSE(Re2Error("(?=lookahead)").empty());
}

}  // namespace
}  // namespace portico::controlplane::crd
