#include "dataplane/http/request_target.h"

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
}

}  // namespace
}  // namespace portico::dataplane
