// Every matcher of the rule language, its spellings and the normal form of
// its values; operators, precedence and string literals.
#include <catch2/catch.hpp>

#include "tests/controlplane/rules/rule_expectations.h"

namespace portico::controlplane::rules {
namespace {

struct Case {
  const char* rule;
  const char* tree;  // text format of v1::Matcher
};

void CheckAll(const std::vector<Case>& cases, RuleKind kind) {
  for (const Case& c : cases) {
    INFO(c.rule);
    CHECK(Tree(c.rule, kind) == Expected(c.tree));
  }
}

TEST_CASE("HTTP matchers and the normal form of their values", "[rules]") {
  CheckAll(
      {
          {"Host(`Example.COM`)", R"(host: "example.com")"},
          {"Host(`example.com.`)", R"(host: "example.com")"},
          {"Host(`*`)", "any_host: true"},
          {"Host(`*.Example.com`)", R"(host_wildcard: "*.example.com")"},
          {"Host(`10.0.0.1`)", R"(host: "10.0.0.1")"},
          {"Host(`[2001:DB8:0::1]`)", R"(host: "[2001:db8::1]")"},
          {"Host(`::1`)", R"(host: "[::1]")"},
          {"Host(`my_host.internal`)", R"(host: "my_host.internal")"},
          {"Host(`xn--bcher-kva.example`)", R"(host: "xn--bcher-kva.example")"},
          {"HostRegexp(`^[a-z]+\\.example\\.com$`)", R"(host_regexp: "^[a-z]+\\.example\\.com$")"},
          {"Path(`/products`)", R"(path: "/products")"},
          {"PathPrefix(`/api`)", R"(path_prefix: "/api")"},
          {"PathRegexp(`\\.(jpeg|jpg|png)$`)", R"(path_regexp: "\\.(jpeg|jpg|png)$")"},
          {"Method(`get`)", R"(method: "GET")"},
          {"Method(`PURGE`)", R"(method: "PURGE")"},
          {"Header(`Content-Type`, `application/json`)",
           R"(header { name: "content-type" value: "application/json" })"},
          {"Header(`X-Empty`, ``)", R"(header { name: "x-empty" })"},
          {"HeaderRegexp(`Content-Type`, `^application/(json|yaml)$`)",
           R"(header_regexp { name: "content-type" value: "^application/(json|yaml)$" })"},
          {"Query(`mobile`, `true`)", R"(query { name: "mobile" value: "true" })"},
          {"Query(`mobile`)", R"(query { name: "mobile" })"},
          {"Query(`A b`, `c d`)", R"(query { name: "A b" value: "c d" })"},
          {"QueryRegexp(`mobile`, `^(true|yes)$`)",
           R"(query_regexp { name: "mobile" value: "^(true|yes)$" })"},
          {"QueryRegexp(`mobile`)", R"(query { name: "mobile" })"},
          {"ClientIP(`10.76.105.11`)", R"(client_ip: "10.76.105.11")"},
          {"ClientIP(`10.1.2.3/8`)", R"(client_ip: "10.0.0.0/8")"},
          {"ClientIP(`192.168.0.0/32`)", R"(client_ip: "192.168.0.0")"},
          {"ClientIP(`0.0.0.0/0`)", R"(client_ip: "0.0.0.0/0")"},
          {"ClientIP(`2001:DB8::1/32`)", R"(client_ip: "2001:db8::/32")"},
          {"ClientIP(`::ffff:10.1.0.0/112`)", R"(client_ip: "10.1.0.0/16")"},
          {"ClientIP(`::ffff:10.1.2.3`)", R"(client_ip: "10.1.2.3")"},
      },
      RuleKind::kHttp);
}

TEST_CASE("TCP matchers", "[rules]") {
  CheckAll(
      {
          {"HostSNI(`*`)", "any_host: true"},
          {"HostSNI(`DB.example.com`)", R"(host: "db.example.com")"},
          {"HostSNI(`db.example.com.`)", R"(host: "db.example.com")"},
          {"HostSNIRegexp(`^.+\\.example\\.com$`)", R"(host_regexp: "^.+\\.example\\.com$")"},
          {"ALPN(`h2`)", R"(alpn: "h2")"},
          {"ClientIP(`fd00::/8`)", R"(client_ip: "fd00::/8")"},
          {"HostSNI(`a.test`) && ALPN(`postgresql`)",
           R"(all_of { matchers { host: "a.test" } matchers { alpn: "postgresql" } })"},
      },
      RuleKind::kTcp);
}

TEST_CASE("matcher names in Traefik's four spellings", "[rules]") {
  for (const char* rule :
       {"PathPrefix(`/a`)", "pathprefix(`/a`)", "PATHPREFIX(`/a`)", "Pathprefix(`/a`)"}) {
    INFO(rule);
    CHECK(Tree(rule) == Expected(R"(path_prefix: "/a")"));
  }
  CHECK(ErrorOf("pathPrefix(`/a`)").starts_with("column 1: unknown matcher 'pathPrefix'"));
}

TEST_CASE("precedence: ! over && over ||, runs flattened", "[rules]") {
  CheckAll(
      {
          {"Host(`a`) || Host(`b`) && Path(`/p`)",
           R"(any_of { matchers { host: "a" }
                       matchers { all_of { matchers { host: "b" } matchers { path: "/p" } } } })"},
          {"(Host(`a`) || Host(`b`)) && Path(`/p`)",
           R"(all_of { matchers { any_of { matchers { host: "a" } matchers { host: "b" } } }
                       matchers { path: "/p" } })"},
          {"!Host(`a`) && Path(`/p`)",
           R"(all_of { matchers { not { host: "a" } } matchers { path: "/p" } })"},
          {"!(Host(`a`) && Path(`/p`))",
           R"(not { all_of { matchers { host: "a" } matchers { path: "/p" } } })"},
          {"!!Host(`a`)", R"(host: "a")"},
          {"!!!Host(`a`)", R"(not { host: "a" })"},
          {"Host(`a`) || (Host(`b`) || Host(`c`)) || Host(`d`)",
           R"(any_of { matchers { host: "a" } matchers { host: "b" } matchers { host: "c" }
                       matchers { host: "d" } })"},
          {"Path(`/a`) && (Method(`GET`) && Method(`PUT`))",
           R"(all_of { matchers { path: "/a" } matchers { method: "GET" }
                       matchers { method: "PUT" } })"},
          {"((((Host(`a`)))))", R"(host: "a")"},
          {"  \n\tHost(`a`)\n&&\nPath(`/`)  ",
           R"(all_of { matchers { host: "a" } matchers { path: "/" } })"},
      },
      RuleKind::kHttp);
}

TEST_CASE("string literals: backticks are raw, double quotes take Go escapes", "[rules]") {
  CheckAll(
      {
          {R"(Path(`/a\nb`))", R"(path: "/a\\nb")"},
          {R"(Path("/a\tb"))", R"(path: "/a\tb")"},
          {R"(Path("/q\"x\\"))", R"(path: "/q\"x\\")"},
          {R"(Path("/\x41\101\u00e9\U0001F600"))", "path: \"/AA\u00e9\U0001F600\""},
          {R"(Header("X-A", "v"))", R"(header { name: "x-a" value: "v" })"},
          {"Path(`/a\r\nb`)", R"(path: "/a\nb")"},  // Go drops \r from raw strings
          {"Path(`/caf\u00e9`)", "path: \"/caf\u00e9\""},
      },
      RuleKind::kHttp);
}

}  // namespace
}  // namespace portico::controlplane::rules
