// MiddlewareTCP compilation: inFlightConn and ipAllowList (ipWhiteList
// read as it) with canonical ranges, references by name and namespace or
// Traefik's <namespace>-<name>@kubernetescrd, the namespace rule, and
// only the middlewares in use kept, sorted by name. A route whose
// middleware does not resolve closes its connections. Inputs are YAML;
// expected outputs are literal.
#include <catch2/catch.hpp>

#include "controlplane/compiler/compiler.h"
#include "controlplane/translate/snapshot_translator.h"
#include "tests/controlplane/support/manifests.h"

namespace portico::controlplane {
namespace {

using testing::Describe;
using testing::StateFromYaml;

std::string MiddlewareTcp(const std::string& name, const std::string& spec,
                          const std::string& ns = "shop") {
  return "---\napiVersion: portico.dev/v1alpha1\nkind: MiddlewareTCP\nmetadata: {name: " + name +
         ", namespace: " + ns + "}\nspec: " + spec + "\n";
}

// shop/t: HostSNI(`*`) to db through `middlewares` (a YAML flow list).
std::string RouteThrough(const std::string& middlewares) {
  return std::string(testing::kShopL4Backends) +
         testing::ShopTcpRoute("t", "  routes:\n  - {match: HostSNI(`*`), middlewares: " +
                                        middlewares + ", services: [{name: db, port: pg}]}\n");
}

TEST_CASE("MiddlewareTCP: kinds, canonical ranges, reference forms, only those in use",
          "[compiler][tcp][middlewares]") {
  std::string yaml =
      RouteThrough(
          "[{name: limit}, {name: shop-allow@kubernetescrd}, {name: old, namespace: shop}]") +
      MiddlewareTcp("limit", "{inFlightConn: {amount: 10}}") +
      MiddlewareTcp("allow",
                    "{ipAllowList: {sourceRange: [10.1.2.3/8, 192.168.0.7, '::ffff:10.0.0.0/104', "
                    "'2001:db8::1/128']}}") +
      MiddlewareTcp("old", "{ipWhiteList: {sourceRange: [172.16.5.5/12]}}") +
      MiddlewareTcp("unused", "{inFlightConn: {amount: 1}}");
  CompileResult result = Compile(StateFromYaml(yaml));
  CHECK(Describe(result) ==
        "cluster shop/db:pg 10.0.1.1:5432\n"
        "tcp-route shop/t/r0 priority -1 hosts * -> shop/db:pg*1 via "
        "shop/limit,shop/allow,shop/old (IngressRouteTCP/shop/t)\n"
        "tcp-middleware shop/allow ipAllowList 10.0.0.0/8,192.168.0.7,10.0.0.0/8,2001:db8::1\n"
        "tcp-middleware shop/limit inFlightConn 10\n"
        "tcp-middleware shop/old ipAllowList 172.16.0.0/12\n");
  v1::Snapshot snapshot = TranslateSnapshot(result);
  REQUIRE(snapshot.tcp_middlewares_size() == 3);
  CHECK(testing::ProtoLine(snapshot.tcp_middlewares(1)) ==
        "name: \"shop/limit\" in_flight_conn: 10");
  CHECK(testing::ProtoLine(snapshot.tcp_middlewares(2)) ==
        "name: \"shop/old\" ip_allow_list { ranges: \"172.16.0.0/12\" }");
}

TEST_CASE("MiddlewareTCP: a reference that does not resolve closes the route's connections",
          "[compiler][tcp][middlewares]") {
  struct Case {
    std::string refs;
    std::string diagnostic;
  };
  std::vector<Case> cases = {
      {"[{name: limit}, {name: gone}]",
       "MiddlewareNotFound: spec.routes[0].middlewares[1]: MiddlewareTCP shop/gone does not "
       "exist"},
      {"[{name: limit, namespace: other}]",
       "CrossNamespace: spec.routes[0].middlewares[0]: MiddlewareTCP other/limit is in another "
       "namespace, refused (cross-namespace references are off, --allow-cross-namespace)"},
      {"[{name: other-limit@kubernetescrd}]",
       "CrossNamespace: spec.routes[0].middlewares[0]: MiddlewareTCP other/limit is in another "
       "namespace, refused (cross-namespace references are off, --allow-cross-namespace)"},
      {"[{name: limit@file}]",
       "MiddlewareNotFound: spec.routes[0].middlewares[0]: MiddlewareTCP limit@file: only "
       "@kubernetescrd references resolve here"},
  };
  for (const Case& c : cases) {
    std::string yaml = RouteThrough(c.refs) +
                       MiddlewareTcp("limit", "{inFlightConn: {amount: 1}}") +
                       MiddlewareTcp("limit", "{inFlightConn: {amount: 2}}", "other");
    INFO(c.refs);
    CHECK(Describe(Compile(StateFromYaml(yaml))) ==
          "tcp-route shop/t/r0 priority -1 hosts * -> closed (IngressRouteTCP/shop/t)\n"
          "diagnostic IngressRouteTCP/shop/t " +
              c.diagnostic + "; the route closes its connections\n");
  }
  // A range the decoder let through but the canonical form refuses.
  ClusterState state =
      StateFromYaml(RouteThrough("[{name: allow}]") +
                    MiddlewareTcp("allow", "{ipAllowList: {sourceRange: [10.0.0.1]}}"));
  state.crds.middlewares_tcp.begin()->second.spec.source_range = {"10.0.0.1", "10.0.0.0/99"};
  std::string out = Describe(Compile(state));
  CHECK_THAT(out, Catch::StartsWith("tcp-route shop/t/r0 priority -1 hosts * -> closed "
                                    "(IngressRouteTCP/shop/t)\ndiagnostic IngressRouteTCP/shop/t "
                                    "InvalidMiddleware: spec.routes[0].middlewares[0]: "
                                    "MiddlewareTCP shop/allow: spec.ipAllowList.sourceRange[1]: "));
  CHECK_THAT(out, Catch::EndsWith("; the route closes its connections\n"));

  std::string allowed = RouteThrough("[{name: limit, namespace: other}]") +
                        MiddlewareTcp("limit", "{inFlightConn: {amount: 2}}", "other");
  CHECK(Describe(Compile(StateFromYaml(allowed), {.allow_cross_namespace = true})) ==
        "cluster shop/db:pg 10.0.1.1:5432\n"
        "tcp-route shop/t/r0 priority -1 hosts * -> shop/db:pg*1 via other/limit "
        "(IngressRouteTCP/shop/t)\n"
        "tcp-middleware other/limit inFlightConn 2\n");
}

}  // namespace
}  // namespace portico::controlplane
