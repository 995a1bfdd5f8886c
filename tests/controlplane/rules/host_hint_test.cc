// The host index hint: which hosts a rule can match at most.
#include <catch2/catch.hpp>

#include "controlplane/rules/host_hint.h"
#include "tests/controlplane/rules/rule_expectations.h"

namespace portico::controlplane::rules {
namespace {

using Hosts = std::vector<std::string>;

Hosts HostsOf(std::string_view rule, RuleKind kind = RuleKind::kHttp) {
  CompileResult result = Compile(rule, kind);
  if (!result.ok()) return {"error: " + result.error.ToString()};
  return result.rule->hosts;
}

TEST_CASE("hosts every match requires", "[rules]") {
  struct Case {
    const char* rule;
    Hosts hosts;
  };
  const std::vector<Case> cases = {
      {"Host(`A.test`)", {"a.test"}},
      {"Host(`a.test`) && PathPrefix(`/api`)", {"a.test"}},
      {"Host(`b.test`) || Host(`a.test`) || Host(`b.test`)", {"a.test", "b.test"}},
      {"(Host(`a.test`) || Host(`b.test`)) && Method(`GET`)", {"a.test", "b.test"}},
      {"Host(`*.a.test`)", {"*.a.test"}},
      {"Host(`*.a.test`) || Host(`x.a.test`) || Host(`x.y.a.test`)", {"*.a.test", "x.y.a.test"}},
      {"Host(`*.a.test`) && Host(`x.a.test`)", {"x.a.test"}},
      {"(Host(`a.test`) || Host(`b.test`)) && (Host(`b.test`) || Host(`c.test`))", {"b.test"}},
      // Never matches; any superset is a correct hint.
      {"Host(`a.test`) && Host(`b.test`)", {"a.test"}},
      {"Host(`a.test`) || (Host(`b.test`) && Path(`/b`))", {"a.test", "b.test"}},
      {"Host(`a.test`) && !Host(`b.test`)", {"a.test"}},
      // Open to any host:
      {"PathPrefix(`/`)", {}},
      {"Host(`*`)", {}},
      {"Host(`*`) && Path(`/`)", {}},
      {"HostRegexp(`^a\\.test$`)", {}},
      {"!Host(`a.test`)", {}},
      {"Host(`a.test`) || Path(`/x`)", {}},
      {"Host(`a.test`) || Host(`*`)", {}},
  };
  for (const Case& c : cases) {
    INFO(c.rule);
    CHECK(HostsOf(c.rule) == c.hosts);
  }
  CHECK(HostsOf("HostSNI(`db.test`) || HostSNI(`DB2.test`)", RuleKind::kTcp) ==
        Hosts{"db.test", "db2.test"});
  CHECK(HostsOf("HostSNI(`*`)", RuleKind::kTcp).empty());
}

TEST_CASE("a wildcard covers exactly one label", "[rules]") {
  CHECK(WildcardCovers("*.a.test", "x.a.test"));
  CHECK_FALSE(WildcardCovers("*.a.test", "a.test"));
  CHECK_FALSE(WildcardCovers("*.a.test", ".a.test"));
  CHECK_FALSE(WildcardCovers("*.a.test", "x.y.a.test"));
  CHECK_FALSE(WildcardCovers("*.a.test", "xa.test"));
}

}  // namespace
}  // namespace portico::controlplane::rules
