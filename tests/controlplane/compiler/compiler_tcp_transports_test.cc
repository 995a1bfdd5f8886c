// ServersTransportTCP compilation and IngressRouteTCP services' transport
// settings: durations in milliseconds, keep-alive disabled by a negative
// period, an empty proxyProtocol section meaning version 2, the TLS block
// built as an HTTP ServersTransport's (Secrets read, the same refusals),
// Traefik's reference forms and namespace rule, the deprecated per-service
// proxyProtocol and terminationDelay as a derived transport, and only the
// transports in use kept. Inputs are YAML; expected outputs are literal.
#include <catch2/catch.hpp>

#include "controlplane/compiler/compiler.h"
#include "controlplane/translate/snapshot_translator.h"
#include "tests/controlplane/support/generated_pem.h"
#include "tests/controlplane/support/manifests.h"

namespace portico::controlplane {
namespace {

using testing::Describe;
using testing::StateFromYaml;

// shop/t: HostSNI(`*`) to db over TLS with the service settings `service`.
std::string RouteWith(const std::string& service) {
  return std::string(testing::kShopL4Backends) +
         testing::ShopTcpRoute("t",
                               "  routes:\n  - match: HostSNI(`*`)\n    services:\n"
                               "    - {name: db, port: pg, tls: true, " +
                                   service + "}\n");
}

std::string TransportTcp(const std::string& name, const std::string& spec,
                         const std::string& ns = "shop") {
  return "---\napiVersion: traefik.io/v1alpha1\nkind: ServersTransportTCP\nmetadata: {name: " +
         name + ", namespace: " + ns + "}\nspec:\n" + spec;
}

std::string Secrets() {
  return "---\napiVersion: v1\nkind: Secret\nmetadata: {name: root-ca, namespace: shop}\n"
         "stringData:\n  ca.crt: |\n" +
         testing::GeneratedCertificateBlock() +
         "---\napiVersion: v1\nkind: Secret\nmetadata: {name: client, namespace: shop}\n"
         "type: kubernetes.io/tls\nstringData:\n  tls.crt: |\n" +
         testing::GeneratedCertificateBlock() + "  tls.key: |\n" + testing::GeneratedKeyBlock();
}

constexpr char kFullSpec[] = R"(  dialTimeout: 5s
  dialKeepAlive: -1s
  terminationDelay: 250ms
  proxyProtocol: {}
  tls:
    serverName: db.internal
    rootCAs: [{secret: root-ca}]
    certificatesSecrets: [client]
)";

TEST_CASE("ServersTransportTCP: settings, TLS with Secrets, only those in use",
          "[compiler][tcp][servers-transport]") {
  std::string yaml = RouteWith("serversTransport: slow") + Secrets() +
                     TransportTcp("slow", kFullSpec) +
                     TransportTcp("unused", "  dialTimeout: 1s\n");
  CompileResult result = Compile(StateFromYaml(yaml));
  CHECK(Describe(result) ==
        "cluster shop/db:pg 10.0.1.1:5432\n"
        "tcp-route shop/t/r0 priority -1 hosts * -> shop/db:pg*1 tls transport shop/slow "
        "(IngressRouteTCP/shop/t)\n"
        "tcp-transport shop/slow dial 5000 keepalive off delay 250 proxy 2 tls sni db.internal "
        "cas Secret/shop/root-ca certs shop/client\n");
  REQUIRE(result.tcp_servers_transports.size() == 1);
  const ServersTransport& tls = *result.tcp_servers_transports[0].tls;
  CHECK(tls.name == "shop/slow");
  CHECK(tls.root_cas_pem.find("-----BEGIN CERTIFICATE-----") != std::string::npos);
  CHECK(tls.certificates[0].private_key_pem.find("PRIVATE KEY") != std::string::npos);
  v1::Snapshot snapshot = TranslateSnapshot(result);
  REQUIRE(snapshot.tcp_servers_transports_size() == 1);
  const v1::ServersTransportTcp& t = snapshot.tcp_servers_transports(0);
  CHECK(t.dial_timeout_ms() == 5000);
  CHECK(t.dial_keep_alive_ms() == 0);
  CHECK(t.disable_keep_alive());
  CHECK(t.termination_delay_ms() == 250);
  CHECK(t.proxy_protocol_version() == 2);
  CHECK(t.tls().server_name() == "db.internal");
  CHECK(t.tls().certificates(0).name() == "shop/client");
  CHECK(snapshot.tcp_routes(0).backends(0).tls());
  CHECK(snapshot.tcp_routes(0).backends(0).servers_transport() == "shop/slow");
}

TEST_CASE("ServersTransportTCP: defaults, keep-alive period, version 1",
          "[compiler][tcp][servers-transport]") {
  std::string yaml = RouteWith("serversTransport: plain") +
                     TransportTcp("plain", "  dialKeepAlive: 30s\n  proxyProtocol: {version: 1}\n");
  CHECK(Describe(Compile(StateFromYaml(yaml))) ==
        "cluster shop/db:pg 10.0.1.1:5432\n"
        "tcp-route shop/t/r0 priority -1 hosts * -> shop/db:pg*1 tls transport shop/plain "
        "(IngressRouteTCP/shop/t)\n"
        "tcp-transport shop/plain dial 0 keepalive 30000 delay 0 proxy 1\n");
}

TEST_CASE("ServersTransportTCP: Traefik's reference form and the namespace rule",
          "[compiler][tcp][servers-transport]") {
  std::string own = RouteWith("serversTransport: shop-x@kubernetescrd") +
                    TransportTcp("x", "  dialTimeout: 2s\n");
  CHECK(Compile(StateFromYaml(own)).tcp_servers_transports.at(0).name == "shop/x");
  std::string other = RouteWith("serversTransport: other-x@kubernetescrd") +
                      TransportTcp("x", "  dialTimeout: 2s\n", "other");
  CHECK(Describe(Compile(StateFromYaml(other))) ==
        "tcp-route shop/t/r0 priority -1 hosts * -> closed (IngressRouteTCP/shop/t)\n"
        "diagnostic IngressRouteTCP/shop/t CrossNamespace: spec.routes[0].services[0]."
        "serversTransport: ServersTransportTCP other/x is in another namespace, refused "
        "(cross-namespace references are off, --allow-cross-namespace); the route closes its "
        "connections\n");
  CHECK(Compile(StateFromYaml(other), {.allow_cross_namespace = true})
            .tcp_servers_transports.at(0)
            .name == "other/x");
  CHECK(Describe(Compile(StateFromYaml(RouteWith("serversTransport: nope")))) ==
        "tcp-route shop/t/r0 priority -1 hosts * -> closed (IngressRouteTCP/shop/t)\n"
        "diagnostic IngressRouteTCP/shop/t ServersTransportNotFound: spec.routes[0].services[0]."
        "serversTransport: ServersTransportTCP nope does not exist in namespace shop; the route "
        "closes its connections\n");
}

TEST_CASE("ServersTransportTCP: what HTTP transports refuse is refused the same way",
          "[compiler][tcp][servers-transport]") {
  struct Case {
    std::string tls;
    std::string problem;
  };
  std::vector<Case> cases = {
      {"    rootCAs: [{configMap: cas}]\n",
       "spec.tls.rootCAs[0].configMap: ConfigMaps are not read; use a Secret"},
      {"    peerCertSANs: [{type: URI, value: spiffe://x}]\n",
       "spec.tls.peerCertSANs: not supported yet (use peerCertURI)"},
      {"    spiffe: {ids: [spiffe://x]}\n", "spec.tls.spiffe: SPIFFE is not supported"},
      {"    rootCAsSecrets: [gone]\n", "spec.tls.rootCAsSecrets[0]: Secret shop/gone not found"},
      {"    certificatesSecrets: [gone]\n",
       "spec.tls.certificatesSecrets[0]: Secret shop/gone not found"},
  };
  for (const Case& c : cases) {
    std::string yaml = RouteWith("serversTransport: st") + TransportTcp("st", "  tls:\n" + c.tls);
    INFO(c.tls);
    std::string why = "ServersTransportTCP shop/st: " + c.problem;
    CHECK(Describe(Compile(StateFromYaml(yaml))) ==
          "tcp-route shop/t/r0 priority -1 hosts * -> closed (IngressRouteTCP/shop/t)\n"
          "diagnostic IngressRouteTCP/shop/t InvalidServersTransport: spec.routes[0]."
          "services[0].serversTransport: " +
              why +
              "; the route closes its connections\n"
              "diagnostic ServersTransportTCP/shop/st InvalidServersTransport: " +
              why + "; the routes that use it close their connections\n");
  }
}

TEST_CASE("IngressRouteTCP: deprecated per-service proxyProtocol and terminationDelay",
          "[compiler][tcp][servers-transport]") {
  // On top of the named transport, or of the defaults; each service its own.
  std::string yaml = std::string(testing::kShopL4Backends) + Secrets() +
                     TransportTcp("slow", kFullSpec) + testing::ShopTcpRoute("t", R"(  routes:
  - match: HostSNI(`*`)
    services:
    - {name: db, port: pg, serversTransport: slow, proxyProtocol: {version: 1}, terminationDelay: 400}
    - {name: db, port: pg, proxyProtocol: {}}
    - {name: db, port: pg, terminationDelay: -1}
)");
  CHECK(Describe(Compile(StateFromYaml(yaml))) ==
        "cluster shop/db:pg 10.0.1.1:5432\n"
        "tcp-route shop/t/r0 priority -1 hosts * -> shop/db:pg*1 transport shop/t/r0/s0,"
        "shop/db:pg*1 transport shop/t/r0/s1,shop/db:pg*1 (IngressRouteTCP/shop/t)\n"
        "tcp-transport shop/t/r0/s0 dial 5000 keepalive off delay 400 proxy 1 tls sni "
        "db.internal cas Secret/shop/root-ca certs shop/client\n"
        "tcp-transport shop/t/r0/s1 dial 0 keepalive 0 delay 0 proxy 2\n"
        "diagnostic IngressRouteTCP/shop/t Unsupported: spec.routes[0].services[2]."
        "terminationDelay: -1 is not supported (only a positive delay); the transport's delay "
        "applies\n");
}

}  // namespace
}  // namespace portico::controlplane
