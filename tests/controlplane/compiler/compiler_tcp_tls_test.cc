// IngressRouteTCP `tls`: the Secret's certificate joins the snapshot's
// certificates as an IngressRoute's does, `options` names the TLS option
// of terminating routes (passthrough ones ignore it), and a route naming
// an unusable option closes its connections. Inputs are YAML; expected
// outputs are literal.
#include <catch2/catch.hpp>

#include "controlplane/compiler/compiler.h"
#include "controlplane/translate/snapshot_translator.h"
#include "tests/controlplane/support/generated_pem.h"
#include "tests/controlplane/support/manifests.h"

namespace portico::controlplane {
namespace {

using testing::Describe;
using testing::ShopTcpRoute;
using testing::StateFromYaml;

std::string Routed(const std::string& name, const std::string& host, const std::string& tls) {
  return ShopTcpRoute(name, "  tls: " + tls + "\n  routes:\n  - {match: HostSNI(`" + host +
                                "`), services: [{name: db, port: pg}]}\n");
}

TEST_CASE("TCP TLS: certificates, options, passthrough", "[compiler][tcp][tls]") {
  std::string yaml =
      std::string(testing::kShopL4Backends) +
      "---\napiVersion: v1\nkind: Secret\nmetadata: {name: db-cert, namespace: shop}\n"
      "type: kubernetes.io/tls\nstringData:\n  tls.crt: |\n" +
      testing::GeneratedCertificateBlock() + "  tls.key: |\n" + testing::GeneratedKeyBlock() +
      "---\napiVersion: portico.dev/v1alpha1\nkind: TLSOption\n"
      "metadata: {name: strict, namespace: shop}\nspec: {minVersion: VersionTLS13}\n" +
      Routed("term", "db.test", "{secretName: db-cert, options: {name: strict}}") +
      Routed("pass", "pass.test", "{passthrough: true, options: {name: gone}}") +
      Routed("broken", "b.test", "{options: {name: gone}}") +
      Routed("nosecret", "n.test", "{secretName: missing}");
  CompileResult result = Compile(StateFromYaml(yaml));
  CHECK(Describe(result) ==
        "cluster shop/db:pg 10.0.1.1:5432\n"
        "tls-option shop/strict versions 4-0 suites  curves  alpn  clientAuth 0 cas \n"
        "tcp-route shop/pass/r0 priority 20 hosts pass.test tls passthrough -> shop/db:pg*1 "
        "(IngressRouteTCP/shop/pass)\n"
        "tcp-route shop/term/r0 priority 18 hosts db.test tls options shop/strict -> "
        "shop/db:pg*1 (IngressRouteTCP/shop/term)\n"
        "tcp-route shop/broken/r0 priority 17 hosts b.test tls -> closed "
        "(IngressRouteTCP/shop/broken)\n"
        "tcp-route shop/nosecret/r0 priority 17 hosts n.test tls -> shop/db:pg*1 "
        "(IngressRouteTCP/shop/nosecret)\n"
        "diagnostic IngressRouteTCP/shop/broken TLSOptionNotFound: spec.tls.options: TLS option "
        "shop/gone does not exist; its TLS routes close their connections\n"
        "diagnostic IngressRouteTCP/shop/nosecret SecretNotFound: spec.tls.secretName: Secret "
        "shop/missing: not found; its certificate is left out (the default one is served)\n");
  REQUIRE(result.certificates.size() == 1);
  CHECK(result.certificates[0].name == "shop/db-cert");
  v1::Snapshot snapshot = TranslateSnapshot(result);
  CHECK(testing::ProtoLine(snapshot.tcp_routes(0).tls()) == "passthrough: true");
  CHECK(testing::ProtoLine(snapshot.tcp_routes(1).tls()) == "options: \"shop/strict\"");
}

TEST_CASE("TCP TLS: what is not applied is reported as for IngressRoutes", "[compiler][tcp][tls]") {
  std::string yaml = std::string(testing::kShopL4Backends) +
                     Routed("t", "db.test", "{certResolver: le, store: {name: other}}");
  CHECK(Describe(Compile(StateFromYaml(yaml))) ==
        "cluster shop/db:pg 10.0.1.1:5432\n"
        "tcp-route shop/t/r0 priority 18 hosts db.test tls -> shop/db:pg*1 "
        "(IngressRouteTCP/shop/t)\n"
        "diagnostic IngressRouteTCP/shop/t Unsupported: spec.tls.store: only the TLSStore named "
        "default is used; the routes serve TLS with its certificates\n"
        "diagnostic IngressRouteTCP/shop/t Unsupported: spec.tls: certResolver and domains are "
        "not applied yet; the routes serve TLS with the certificates of the store\n");
}

}  // namespace
}  // namespace portico::controlplane
