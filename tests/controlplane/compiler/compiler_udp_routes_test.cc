// IngressRouteUDP compilation: one UDP route per object, in name order,
// weights, UDP Service ports, and one route per entrypoint: a later
// object naming an entrypoint already served loses that entrypoint (and
// is left out when none is left), with a condition naming the owner.
// Inputs are YAML; expected outputs are literal.
#include <catch2/catch.hpp>

#include "controlplane/compiler/compiler.h"
#include "controlplane/translate/snapshot_translator.h"
#include "tests/controlplane/support/manifests.h"

namespace portico::controlplane {
namespace {

using testing::Describe;
using testing::ShopUdpRoute;
using testing::StateFromYaml;

TEST_CASE("UDP: services, weights, UDP ports, name order", "[compiler][udp]") {
  std::string yaml =
      std::string(testing::kShopL4Backends) + ShopUdpRoute("b", R"(  entryPoints: [dns]
  routes:
  - services: [{name: dns, port: 53, weight: 3}, {name: dns, port: dns}]
)") + ShopUdpRoute("a", R"(  entryPoints: [syslog, ntp, syslog]
  routes:
  - services: [{name: dns, port: 53}]
)");
  CompileResult result = Compile(StateFromYaml(yaml));
  // Port 53 is the UDP one (the Service also has 53/TCP); only the ready
  // endpoint is in the cluster.
  CHECK(Describe(result) ==
        "cluster shop/dns:dns 10.0.2.1:5353\n"
        "udp-route shop/a on ntp,syslog -> shop/dns:dns*1 (IngressRouteUDP/shop/a)\n"
        "udp-route shop/b on dns -> shop/dns:dns*3,shop/dns:dns*1 (IngressRouteUDP/shop/b)\n");
  v1::Snapshot snapshot = TranslateSnapshot(result);
  REQUIRE(snapshot.udp_routes_size() == 2);
  CHECK(testing::ProtoLine(snapshot.udp_routes(1)) ==
        "name: \"shop/b\" source: \"IngressRouteUDP/shop/b\" entrypoints: \"dns\" backends { "
        "cluster: \"shop/dns:dns\" weight: 3 } backends { cluster: \"shop/dns:dns\" weight: 1 }");
}

TEST_CASE("UDP: one route per entrypoint, the first in name order", "[compiler][udp]") {
  auto route = [](const std::string& name, const std::string& entrypoints) {
    return ShopUdpRoute(name, entrypoints + "  routes: [{services: [{name: dns, port: 53}]}]\n");
  };
  std::string yaml =
      std::string(testing::kShopL4Backends) + route("a", "  entryPoints: [dns, ntp]\n") +
      route("b", "  entryPoints: [ntp, syslog]\n") + route("c", "  entryPoints: [dns]\n") +
      route("d", "") + route("e", "") + route("f", "  entryPoints: [other]\n");
  CHECK(Describe(Compile(StateFromYaml(yaml))) ==
        "cluster shop/dns:dns 10.0.2.1:5353\n"
        "udp-route shop/a on dns,ntp -> shop/dns:dns*1 (IngressRouteUDP/shop/a)\n"
        "udp-route shop/b on syslog -> shop/dns:dns*1 (IngressRouteUDP/shop/b)\n"
        "udp-route shop/d -> shop/dns:dns*1 (IngressRouteUDP/shop/d)\n"
        "diagnostic IngressRouteUDP/shop/b Conflict: spec.entryPoints: UDP entrypoint ntp is "
        "already served by IngressRouteUDP shop/a (first in name order); this route does not "
        "serve it\n"
        "diagnostic IngressRouteUDP/shop/c Conflict: spec.entryPoints: UDP entrypoint dns is "
        "already served by IngressRouteUDP shop/a (first in name order); this route does not "
        "serve it\n"
        "diagnostic IngressRouteUDP/shop/d Conflict: spec.entryPoints: none given, but these UDP "
        "entrypoints are served by routes first in name order: dns (shop/a), ntp (shop/a), "
        "syslog (shop/b); it serves the others\n"
        "diagnostic IngressRouteUDP/shop/e Conflict: spec.entryPoints: every UDP entrypoint is "
        "already served by IngressRouteUDP shop/d (no entryPoints, first in name order); left "
        "out\n"
        "diagnostic IngressRouteUDP/shop/f Conflict: spec.entryPoints: every UDP entrypoint it "
        "names is already served by IngressRouteUDP shop/d (no entryPoints, first in name "
        "order); left out\n");
}

TEST_CASE("UDP: problems with services and extra routes", "[compiler][udp]") {
  struct Case {
    std::string routes;
    std::string out;
  };
  std::vector<Case> cases = {
      {"[{services: [{name: dns, port: 53}, {name: db, port: pg}]}]",
       "udp-route shop/u -> closed (IngressRouteUDP/shop/u)\n"
       "diagnostic IngressRouteUDP/shop/u PortNotFound: spec.routes[0].services[1]: Service "
       "shop/db port named \"pg\" is TCP, not UDP; the route drops its datagrams\n"},
      {"[{services: [{name: dns, namespace: other, port: 53}]}]",
       "udp-route shop/u -> closed (IngressRouteUDP/shop/u)\n"
       "diagnostic IngressRouteUDP/shop/u CrossNamespace: spec.routes[0].services[0].namespace: "
       "Service other/dns is in another namespace, refused (cross-namespace references are off, "
       "--allow-cross-namespace); the route drops its datagrams\n"},
      {"[{services: []}]",
       "udp-route shop/u -> closed (IngressRouteUDP/shop/u)\n"
       "diagnostic IngressRouteUDP/shop/u NoService: spec.routes[0].services: no service; the "
       "route drops its datagrams\n"},
      {"[{services: [{name: dns, port: dns}]}, {services: [{name: dns, port: 53}]}]",
       "cluster shop/dns:dns 10.0.2.1:5353\n"
       "udp-route shop/u -> shop/dns:dns*1 (IngressRouteUDP/shop/u)\n"
       "diagnostic IngressRouteUDP/shop/u Unsupported: spec.routes[1]: only the first route of "
       "an IngressRouteUDP is used (UDP routes have no rule to choose between them); ignored\n"},
  };
  for (const Case& c : cases) {
    std::string yaml =
        std::string(testing::kShopL4Backends) + ShopUdpRoute("u", "  routes: " + c.routes + "\n");
    INFO(c.routes);
    CHECK(Describe(Compile(StateFromYaml(yaml))) == c.out);
  }
}

}  // namespace
}  // namespace portico::controlplane
