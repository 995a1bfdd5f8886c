// Compile: default priorities and the shape of the result.
#include <catch2/catch.hpp>

#include "tests/controlplane/rules/rule_expectations.h"

namespace portico::controlplane::rules {
namespace {

int64_t DefaultPriority(std::string_view rule, RuleKind kind = RuleKind::kHttp) {
  CompileResult result = Compile(rule, kind);
  REQUIRE(result.ok());
  return result.rule->default_priority;
}

TEST_CASE("default priority is the rule's length in bytes, as Traefik's len(rule)", "[rules]") {
  CHECK(DefaultPriority("Host(`a.test`)") == 14);
  CHECK(DefaultPriority("Host(`a.test`) && PathPrefix(`/api`)") == 36);
  CHECK(DefaultPriority("  Host(`a.test`)  ") == 18);    // spaces count, as in Traefik
  CHECK(DefaultPriority("Path(`/caf\xC3\xA9`)") == 14);  // bytes, not characters
  CHECK(DefaultPriority("HostSNI(`a.test`)", RuleKind::kTcp) == 17);
}

TEST_CASE("the TCP catch-all HostSNI(`*`) sorts after every default priority", "[rules]") {
  CHECK(DefaultPriority("HostSNI(`*`)", RuleKind::kTcp) == -1);
  CHECK(DefaultPriority("HostSNI(\"*\")", RuleKind::kTcp) == -1);
  CHECK(DefaultPriority("HostSNI(`*`) && ClientIP(`10.0.0.0/8`)", RuleKind::kTcp) == 38);
  CHECK(DefaultPriority("Host(`*`)") == 9);  // HTTP has no such case
}

TEST_CASE("effective priority: explicit wins, 0 means unset", "[rules]") {
  CompileResult result = Compile("Host(`a.test`)", RuleKind::kHttp);
  REQUIRE(result.ok());
  CHECK(EffectivePriority(0, *result.rule) == 14);
  CHECK(EffectivePriority(100, *result.rule) == 100);
  CHECK(EffectivePriority(-3, *result.rule) == -3);
}

TEST_CASE("a failed compile carries offset, line and column", "[rules]") {
  CompileResult result = Compile("Host(`a`) &&\n  Nope(`x`)", RuleKind::kHttp);
  REQUIRE_FALSE(result.ok());
  CHECK(result.error.offset == 15);
  CHECK(result.error.line == 2);
  CHECK(result.error.column == 3);
  CHECK(result.error.message.starts_with("unknown matcher 'Nope'"));
}

TEST_CASE("the compiled tree survives the wire unchanged", "[rules]") {
  CompileResult result = Compile(
      "(Host(`a.test`) || Host(`*.b.test`)) && !Header(`X-Debug`, `1`) && "
      "QueryRegexp(`v`, `^[0-9]+$`)",
      RuleKind::kHttp);
  REQUIRE(result.ok());
  v1::Matcher copy;
  REQUIRE(copy.ParseFromString(result.rule->match.SerializeAsString()));
  CHECK(copy.ShortDebugString() == Expected(R"(all_of {
          matchers { any_of { matchers { host: "a.test" } matchers { host_wildcard: "*.b.test" } } }
          matchers { not { header { name: "x-debug" value: "1" } } }
          matchers { query_regexp { name: "v" value: "^[0-9]+$" } } })"));
  CHECK(result.rule->hosts == std::vector<std::string>{"*.b.test", "a.test"});
}

}  // namespace
}  // namespace portico::controlplane::rules
