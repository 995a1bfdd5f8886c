#include "dataplane/http/request_target.h"

#include <cstdint>
#include <string_view>

#include <catch2/catch.hpp>

namespace portico::dataplane {
namespace {

TEST_CASE("request-target forms", "[http]") {
  std::string path, authority;
  REQUIRE(ParseRequestTarget("/a/b?x=1", &path, &authority));
  CHECK(path == "/a/b");
  CHECK(authority.empty());
  REQUIRE(ParseRequestTarget("http://Example.com:8080/p?q", &path, &authority));
  CHECK(path == "/p");
  CHECK(authority == "Example.com:8080");
  REQUIRE(ParseRequestTarget("http://example.com", &path, &authority));
  CHECK(path == "/");
  CHECK_FALSE(ParseRequestTarget("*", &path, &authority));
  CHECK_FALSE(ParseRequestTarget("example.com:443", &path, &authority));
  CHECK_FALSE(ParseRequestTarget("", &path, &authority));
}

TEST_CASE("hosts are lowercased without their port", "[http]") {
  std::string host;
  REQUIRE(NormalizeHost("Example.COM:8080", &host));
  CHECK(host == "example.com");
  REQUIRE(NormalizeHost("[::1]:80", &host));
  CHECK(host == "[::1]");
  CHECK_FALSE(NormalizeHost("", &host));
  CHECK_FALSE(NormalizeHost("bad host", &host));
  CHECK_FALSE(NormalizeHost("a/b", &host));
  // Empty labels (found by fuzz_request_target: "TS.." normalised to "ts.").
  for (std::string_view bad : {"ts..", "a..b", ".a", "..", ".", "a..:80"}) {
    INFO(bad);
    CHECK_FALSE(NormalizeHost(bad, &host));
  }
}

TEST_CASE("an IPv6 host is a real IPv6 literal, a port is digits", "[http]") {
  std::string host;
  REQUIRE(NormalizeHost("[2001:DB8::1]:8443", &host));
  CHECK(host == "[2001:db8::1]");
  REQUIRE(NormalizeHost("[::ffff:127.0.0.1]", &host));
  CHECK(host == "[::ffff:127.0.0.1]");
  REQUIRE(NormalizeHost("example.com:", &host));  // RFC 3986: the port may be empty
  CHECK(host == "example.com");
  // "[]" once named no host, so a backend's certificate was checked
  // against no name (reviewer's finding).
  for (std::string_view bad : {"[]", "[]:80", "[x]", "[::1", "[::1]x", "[::1]:8a", "[::1]]",
                               "a]b", "a[b", "example.com:80:80", "example.com:123456",
                               "example.com:-1", "[fe80::1%eth0]"}) {
    INFO(bad);
    CHECK_FALSE(NormalizeHost(bad, &host));
  }
}

TEST_CASE("a host's trailing dot is dropped", "[http]") {
  std::string host;
  REQUIRE(NormalizeHost("Bar.Foo.com.", &host));
  CHECK(host == "bar.foo.com");
  REQUIRE(NormalizeHost("bar.foo.com.:8080", &host));
  CHECK(host == "bar.foo.com");
  CHECK_FALSE(NormalizeHost(".", &host));
  CHECK_FALSE(NormalizeHost(".:80", &host));
}

TEST_CASE("the routing path decodes escapes except reserved characters", "[http]") {
  CHECK(RoutingPath("/foo") == "/foo");
  CHECK(RoutingPath("/fo%6f") == "/foo");
  CHECK(RoutingPath("/%61aa/bbb") == "/aaa/bbb");
  CHECK(RoutingPath("/caf%C3%A9") == "/caf\xC3\xA9");
  CHECK(RoutingPath("/a%20b%7e") == "/a b~");
  // Reserved characters and '%' keep their escape, in upper case.
  CHECK(RoutingPath("/a%2fb") == "/a%2Fb");
  CHECK(RoutingPath("/a%2Fb%3f%23%3B%25") == "/a%2Fb%3F%23%3B%25");
  CHECK(RoutingPath("/%2541") == "/%2541");  // decoded once only
  // A '%' that starts no escape stands for itself.
  CHECK(RoutingPath("/a%zz%4") == "/a%25zz%254");
  CHECK(RoutingPath("/a%") == "/a%25");
  CHECK(RoutingPath("/a%6") == "/a%256");
  CHECK(RoutingPath("/%%36%31") == "/%2561");
  std::string path, authority;
  REQUIRE(ParseRequestTarget("/fo%6F?q=%61", &path, &authority));
  CHECK(path == "/foo");
  REQUIRE(ParseRequestTarget("http://h/%61", &path, &authority));
  CHECK(path == "/a");
}

bool Refused(std::string_view routing_path) { return !PathRefusal(routing_path).empty(); }

TEST_CASE("dot segments are found, escaped ones too once decoded", "[http]") {
  for (std::string_view path : {"/a/../b", "/..", "/a/.", "/./a", "/a/..", "/a//../b"}) {
    INFO(path);
    CHECK(PathRefusal(path) == "the path has a '.' or '..' segment");
  }
  CHECK(Refused(RoutingPath("/a/%2e%2E/b")));
  CHECK(Refused(RoutingPath("/a/.%2e")));
  for (std::string_view path : {"/", "/a/b", "/a..b", "/.well-known/x", "/a/...", "/..a", "/a./b",
                                "/a;b/c", "/a%2Fb", "/..%2Ea"}) {
    INFO(path);
    CHECK_FALSE(Refused(RoutingPath(path)));
  }
}

TEST_CASE("dot segments are found wherever a backend may split segments", "[http]") {
  // Reviewer's findings: a backend that decodes %2F or %5C before resolving
  // dot segments, treats '\\' as '/', or strips ";params" would resolve these.
  for (std::string_view target :
       {"/a/..%2fb", "/a/..%2Fb", "/a/%2e%2e%2fb", "/a/..%5cb", "/a/..%5Cb", "/a/..\\b",
        "/a\\..\\b", "/a/..;/b", "/a/..;x=1/b", "/a/.;/b", "/a/%2e%2e;/b", "/a%2F..%2Fb",
        "/a/%2e%2e%5c"}) {
    INFO(target);
    CHECK(PathRefusal(RoutingPath(target)) == "the path has a '.' or '..' segment");
  }
}

TEST_CASE("an escaped NUL in the path is refused", "[http]") {
  CHECK(PathRefusal(RoutingPath("/a%00b")) == "the path holds an escaped NUL (%00)");
  CHECK(PathRefusal(RoutingPath("/a%00")) == "the path holds an escaped NUL (%00)");
  CHECK(PathRefusal(RoutingPath("/a%2500")).empty());  // "%00" spelled out, not a NUL
}

TEST_CASE("the routing path is decoded once: decoding it again changes nothing", "[http]") {
  // Escapes that decode to hex digits after a lone '%' ("%%36%31") and
  // escapes of '%' itself: none may leave an escape for a second pass.
  constexpr std::string_view kAlphabet = "%%%23615fFaA/.~";
  uint32_t state = 12345;
  for (int n = 0; n < 20000; ++n) {
    std::string raw = "/";
    for (int i = 0; i < 12; ++i) {
      state = state * 1103515245 + 12345;
      raw.push_back(kAlphabet[(state >> 16) % kAlphabet.size()]);
    }
    std::string once = RoutingPath(raw);
    INFO(raw);
    CHECK(RoutingPath(once) == once);
  }
}

}  // namespace
}  // namespace portico::dataplane
