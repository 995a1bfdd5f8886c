// ServersTransport compilation: Secrets resolved into CA bundles and client
// certificates, Traefik's names mapped, only the transports in use kept,
// and a broken transport (missing Secret, bad PEM, unsupported setting)
// left out with the reason on the route and on the transport; Ingress
// backends on a Service port named https go over TLS. Inputs are YAML;
// expected outputs are literal.
#include <catch2/catch.hpp>

#include "controlplane/compiler/compiler.h"
#include "controlplane/translate/snapshot_translator.h"
#include "tests/controlplane/support/generated_pem.h"
#include "tests/controlplane/support/manifests.h"

namespace portico::controlplane {
namespace {

using testing::StateFromYaml;

// shop/site sending Host(`site.test`) to web over https with `transport`.
std::string SiteOver(const std::string& transport) {
  return std::string(testing::kShopWebBackend) + testing::ShopSiteRoutes(R"(
  - match: Host(`site.test`)
    services: [{name: web, port: 80, scheme: https, serversTransport: )" +
                                                                         transport + "}]\n");
}

std::string CaSecret(const std::string& name, const std::string& key = "ca.crt") {
  return "---\napiVersion: v1\nkind: Secret\nmetadata: {name: " + name +
         ", namespace: shop}\nstringData:\n  " + key + ": |\n" +
         testing::GeneratedCertificateBlock();
}

std::string ClientSecret(const std::string& name, const std::string& key_block) {
  return "---\napiVersion: v1\nkind: Secret\nmetadata: {name: " + name +
         ", namespace: shop}\ntype: kubernetes.io/tls\nstringData:\n  tls.crt: |\n" +
         testing::GeneratedCertificateBlock() + "  tls.key: |\n" + key_block;
}

std::string Transport(const std::string& name, const std::string& spec) {
  return "---\napiVersion: traefik.io/v1alpha1\nkind: ServersTransport\nmetadata: {name: " + name +
         ", namespace: shop}\nspec:\n" + spec;
}

std::vector<std::string> Diagnostics(const CompileResult& result) {
  std::vector<std::string> lines;
  for (const Diagnostic& d : result.diagnostics) {
    lines.push_back(d.object + " " + d.reason + ": " + d.message);
  }
  return lines;
}

TEST_CASE("ServersTransport: Secrets resolved, names mapped, only those in use kept",
          "[compiler][servers-transport]") {
  std::string yaml = SiteOver("backend") + CaSecret("root-ca") + CaSecret("old-ca", "tls.ca") +
                     ClientSecret("client", testing::GeneratedKeyBlock()) +
                     Transport("backend", R"(  serverName: web.shop.internal
  rootCAs: [{secret: root-ca}]
  rootCAsSecrets: [old-ca]
  certificatesSecrets: [client]
  peerCertURI: spiffe://shop/web
  minVersion: VersionTLS12
  maxVersion: VersionTLS13
  cipherSuites: [TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305, TLS_AES_128_GCM_SHA256]
  maxIdleConnsPerHost: 4
)") + Transport("unused", "  insecureSkipVerify: true\n");
  CompileResult result = Compile(StateFromYaml(yaml));
  REQUIRE(result.servers_transports.size() == 1);
  const ServersTransport& t = result.servers_transports[0];
  CHECK(t.name == "shop/backend");
  CHECK(t.server_name == "web.shop.internal");
  CHECK_FALSE(t.insecure_skip_verify);
  CHECK(t.root_ca_sources == std::vector<std::string>{"Secret/shop/root-ca", "Secret/shop/old-ca"});
  size_t begin = t.root_cas_pem.find("-----BEGIN CERTIFICATE-----");
  CHECK(t.root_cas_pem.find("-----BEGIN CERTIFICATE-----", begin + 1) != std::string::npos);
  REQUIRE(t.certificates.size() == 1);
  CHECK(t.certificates[0].name == "shop/client");
  CHECK(t.certificates[0].private_key_pem.find("PRIVATE KEY") != std::string::npos);
  CHECK(t.peer_cert_uri == "spiffe://shop/web");
  CHECK(t.min_version == TlsVersion::kTls12);
  CHECK(t.max_version == TlsVersion::kTls13);
  // Go's legacy ChaCha20 spelling becomes IANA's; TLS 1.3 suites are not configurable.
  CHECK(t.cipher_suites == std::vector<std::string>{"TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"});
  CHECK(Diagnostics(result).empty());
  v1::Snapshot snapshot = TranslateSnapshot(result);
  REQUIRE(snapshot.servers_transports_size() == 1);
  CHECK(snapshot.services(0).load_balancer().scheme() == "https");
  CHECK(snapshot.services(0).load_balancer().servers_transport() == "shop/backend");
  CHECK(snapshot.servers_transports(0).name() == "shop/backend");
  CHECK(snapshot.servers_transports(0).min_version() == v1::TLS_1_2);
  CHECK(snapshot.servers_transports(0).certificates(0).private_key_pem() ==
        t.certificates[0].private_key_pem);
  // Deterministic: the same input gives the same bytes.
  CHECK(TranslateSnapshot(Compile(StateFromYaml(yaml))).SerializeAsString() ==
        snapshot.SerializeAsString());
}

TEST_CASE("ServersTransport: Traefik's <namespace>-<name>@kubernetescrd reference",
          "[compiler][servers-transport]") {
  std::string yaml =
      SiteOver("shop-skip@kubernetescrd") + Transport("skip", "  insecureSkipVerify: true\n");
  CompileResult result = Compile(StateFromYaml(yaml));
  REQUIRE(result.servers_transports.size() == 1);
  CHECK(result.servers_transports[0].name == "shop/skip");
  CHECK(result.servers_transports[0].insecure_skip_verify);
  CHECK(result.servers_transports[0].root_cas_pem.empty());
}

TEST_CASE("ServersTransport: one of another namespace needs --allow-cross-namespace",
          "[compiler][servers-transport]") {
  // The "<namespace>-<name>@kubernetescrd" form once reached any namespace.
  std::string yaml = SiteOver("other-skip@kubernetescrd") +
                     "---\napiVersion: traefik.io/v1alpha1\nkind: ServersTransport\n"
                     "metadata: {name: skip, namespace: other}\nspec:\n  insecureSkipVerify: true\n";
  CompileResult refused = Compile(StateFromYaml(yaml));
  CHECK(refused.servers_transports.empty());
  CHECK_THAT(Diagnostics(refused),
             Catch::VectorContains(std::string(
                 "IngressRoute/shop/site CrossNamespace: spec.routes[0].services[0]"
                 ".serversTransport: ServersTransport other/skip is in another namespace, refused "
                 "(cross-namespace references are off, --allow-cross-namespace); the route "
                 "answers 503")));
  CompileResult allowed = Compile(StateFromYaml(yaml), {.allow_cross_namespace = true});
  REQUIRE(allowed.servers_transports.size() == 1);
  CHECK(allowed.servers_transports[0].name == "other/skip");
}

TEST_CASE("ServersTransport: a broken one is left out, its routes unservable, others served",
          "[compiler][servers-transport]") {
  struct Case {
    std::string extra;  // Secrets
    std::string spec;
    std::string problem;
  };
  std::vector<Case> cases = {
      {"", "  rootCAs: [{secret: gone}]\n", "spec.rootCAs[0].secret: Secret shop/gone not found"},
      {"---\napiVersion: v1\nkind: Secret\nmetadata: {name: empty, namespace: shop}\n"
       "stringData: {tls.crt: x}\n",
       "  rootCAsSecrets: [empty]\n",
       "spec.rootCAsSecrets[0]: Secret shop/empty has neither tls.ca nor ca.crt"},
      {"", "  certificatesSecrets: [nope]\n",
       "spec.certificatesSecrets[0]: Secret shop/nope not found"},
      {"", "  rootCAs: [{configMap: cas}]\n",
       "spec.rootCAs[0].configMap: ConfigMaps are not read; use a Secret"},
      {"", "  peerCertSANs: [{type: URI, value: spiffe://x}]\n",
       "spec.peerCertSANs: not supported yet (use peerCertURI)"},
  };
  for (const Case& c : cases) {
    std::string yaml = std::string(testing::kShopWebBackend) + testing::ShopSiteRoutes(R"(
  - match: Host(`site.test`)
    services: [{name: web, port: 80, scheme: https, serversTransport: st}]
  - match: Host(`fine.test`)
    services: [{name: web, port: 80, scheme: https}]
)") + c.extra + Transport("st", c.spec);
    CompileResult result = Compile(StateFromYaml(yaml));
    INFO(c.problem);
    CHECK(result.servers_transports.empty());
    std::string why = "ServersTransport shop/st: " + c.problem;
    CHECK(Diagnostics(result) ==
          std::vector<std::string>{
              "IngressRoute/shop/site InvalidServersTransport: spec.routes[0].services[0]."
              "serversTransport: " +
                  why + "; the route answers 503",
              "ServersTransport/shop/st InvalidServersTransport: " + why +
                  "; the services that use it are not served"});
    REQUIRE(result.routes.size() == 2);
    for (const Route& route : result.routes) {
      CHECK(route.service.empty() == (route.hosts == std::vector<std::string>{"site.test"}));
    }
  }
}

TEST_CASE("ServersTransport: a client certificate whose key does not parse is refused",
          "[compiler][servers-transport]") {
  std::string yaml = SiteOver("st") + ClientSecret("client", "      not a key\n") +
                     Transport("st", "  certificatesSecrets: [client]\n");
  CompileResult result = Compile(StateFromYaml(yaml));
  CHECK(result.servers_transports.empty());
  REQUIRE(result.diagnostics.size() == 2);
  CHECK(result.diagnostics[1].object == "ServersTransport/shop/st");
  CHECK_THAT(result.diagnostics[1].message,
             Catch::StartsWith("ServersTransport shop/st: spec.certificatesSecrets[0]: Secret "
                               "shop/client: tls.key"));
  CHECK(result.diagnostics[1].message.find("PRIVATE") == std::string::npos);
}

TEST_CASE("Ingress: a backend on a Service port named https or numbered 443 goes over TLS",
          "[compiler][servers-transport]") {
  std::string yaml = R"(apiVersion: v1
kind: Service
metadata: {name: api, namespace: shop}
spec: {ports: [{name: https, port: 8443}, {name: web, port: 443}, {name: http, port: 80}]}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: api-1, namespace: shop, labels: {kubernetes.io/service-name: api}}
addressType: IPv4
ports: [{name: https, port: 9443}, {name: web, port: 9444}, {name: http, port: 8080}]
endpoints: [{addresses: [10.0.0.7]}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: api, namespace: shop}
spec:
  rules:
  - host: a.test
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: api, port: {name: https}}}}
  - host: b.test
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: api, port: {number: 443}}}}
  - host: c.test
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: api, port: {number: 80}}}}
)";
  v1::Snapshot snapshot = TranslateSnapshot(Compile(StateFromYaml(yaml)));
  std::string routes;
  for (const v1::Route& route : snapshot.routes()) {
    routes += route.host() + " cluster=" + route.cluster() + " service=" + route.service() + "\n";
  }
  CHECK(routes ==
        "a.test cluster=shop/api:https service=shop/api:https/https\n"
        "b.test cluster=shop/api:web service=shop/api:web/https\n"
        "c.test cluster=shop/api:http service=\n");
  std::string services;
  for (const v1::Service& service : snapshot.services()) {
    services += testing::ProtoLine(service) + "\n";
  }
  CHECK(services ==
        "name: \"shop/api:https/https\" load_balancer { cluster: \"shop/api:https\" "
        "scheme: \"https\" }\n"
        "name: \"shop/api:web/https\" load_balancer { cluster: \"shop/api:web\" "
        "scheme: \"https\" }\n");
  CHECK(snapshot.servers_transports_size() == 0);
}

}  // namespace
}  // namespace portico::controlplane
