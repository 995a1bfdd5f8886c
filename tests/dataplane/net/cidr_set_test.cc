#include "dataplane/net/cidr_set.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <catch2/catch.hpp>

namespace portico::dataplane {
namespace {

sockaddr_storage Addr(const char* text) {
  sockaddr_storage s{};
  if (std::string_view(text).find(':') != std::string_view::npos) {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&s);
    in6->sin6_family = AF_INET6;
    REQUIRE(inet_pton(AF_INET6, text, &in6->sin6_addr) == 1);
  } else {
    auto* in = reinterpret_cast<sockaddr_in*>(&s);
    in->sin_family = AF_INET;
    REQUIRE(inet_pton(AF_INET, text, &in->sin_addr) == 1);
  }
  return s;
}

bool In(const CidrSet& set, const char* text) {
  sockaddr_storage s = Addr(text);
  return set.Contains(reinterpret_cast<sockaddr*>(&s));
}

TEST_CASE("CIDR sets match IPv4, IPv6 and IPv4-mapped peers", "[cidr]") {
  CidrSet set;
  REQUIRE(set.Parse("10.0.0.0/8, 192.168.1.7, fd00::/8, 172.16.0.0/12").empty());
  CHECK(In(set, "10.200.3.4"));
  CHECK_FALSE(In(set, "11.0.0.1"));
  CHECK(In(set, "192.168.1.7"));
  CHECK_FALSE(In(set, "192.168.1.8"));
  CHECK(In(set, "172.31.255.255"));
  CHECK_FALSE(In(set, "172.32.0.0"));
  CHECK(In(set, "fd12::1"));
  CHECK_FALSE(In(set, "fe80::1"));
  CHECK(In(set, "::ffff:10.1.2.3"));
  CidrSet all;
  REQUIRE(all.Parse("0.0.0.0/0").empty());
  CHECK(In(all, "8.8.8.8"));
  CHECK_FALSE(In(all, "::1"));
}

TEST_CASE("CIDR parse errors name the entry", "[cidr]") {
  CidrSet set;
  CHECK(set.Parse("10.0.0.0/8,,1.2.3.4") == "empty entry in the address list");
  CHECK(CidrSet().Parse("10.0.0/8") == "'10.0.0/8' is not an IP address or CIDR network");
  CHECK(CidrSet().Parse("::1/129") == "'::1/129': prefix length must be 0 to 128");
  CHECK(CidrSet().Parse("1.2.3.4/x") == "'1.2.3.4/x': prefix length must be 0 to 32");
}

}  // namespace
}  // namespace portico::dataplane
