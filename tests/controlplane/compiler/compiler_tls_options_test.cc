// TLSOption compilation: names mapped for proxies, clientAuth CA Secrets,
// the `default` option, and routes naming options (IngressRoute
// spec.tls.options, the Ingress annotation portico.dev/tls-options). Inputs
// are YAML; expected outputs are literal.
#include <openssl/pem.h>

#include <catch2/catch.hpp>

#include "controlplane/compiler/compiler.h"
#include "dataplane/tls/self_signed.h"
#include "tests/controlplane/support/generated_pem.h"
#include "tests/controlplane/support/manifests.h"

namespace portico::controlplane {
namespace {

using testing::Describe;
using testing::StateFromYaml;

std::string Compiled(const std::string& yaml, CompileOptions options = {}) {
  return Describe(Compile(StateFromYaml(yaml), options));
}

constexpr auto& kBackend = testing::kShopWebBackend;

// A route of shop/site naming `options` (YAML flow), on host site.test.
std::string SiteRoute(const std::string& options) {
  return std::string(kBackend) + R"(---
apiVersion: portico.dev/v1alpha1
kind: IngressRoute
metadata: {name: site, namespace: shop}
spec:
  routes:
  - {match: Host(`site.test`), services: [{name: web, port: 80}]}
  tls: {options: )" +
         options + "}\n";
}

std::string CaBlock() { return testing::GeneratedCertificateBlock(); }
std::string KeyBlock() { return testing::GeneratedKeyBlock(); }

TEST_CASE("TLSOption: Go and RFC names become the names proxies map", "[compiler][tls]") {
  std::string yaml = SiteRoute("{name: modern}") + R"(---
apiVersion: traefik.io/v1alpha1
kind: TLSOption
metadata: {name: modern, namespace: shop}
spec:
  minVersion: VersionTLS12
  maxVersion: VersionTLS13
  cipherSuites:
  - TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256
  - TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305
  - TLS_AES_128_GCM_SHA256
  curvePreferences: [CurveP521, secp384r1, CurveP256, x25519]
  alpnProtocols: [http/1.1]
  sniStrict: true
  disableSessionTickets: true
---
apiVersion: traefik.io/v1alpha1
kind: TLSOption
metadata: {name: unused, namespace: shop}
spec: {minVersion: VersionTLS13}
)";
  CHECK(Compiled(yaml) ==
        "route shop/site/r0 priority 17 hosts site.test tls options shop/modern -> shop/site/r0/s0 "
        "(IngressRoute/shop/site)\n"
        "cluster shop/web:http 10.0.0.1:8080\n"
        "service shop/site/r0/s0 -> shop/web:http\n"
        "tls-option shop/modern versions 3-4 suites TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,"
        "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256 curves P-521,P-384,P-256,X25519 alpn "
        "http/1.1 sniStrict clientAuth 0 cas  noTickets\n"
        "diagnostic TLSOption/shop/modern Ignored: spec.cipherSuites[2]: TLS_AES_128_GCM_SHA256 "
        "is a TLS 1.3 suite; TLS 1.3 suites are not configurable, ignored\n");
}

TEST_CASE("TLSOption clientAuth: CA bundles from Opaque Secrets, tls.ca or ca.crt",
          "[compiler][tls]") {
  std::string yaml = SiteRoute("{name: mtls}") + R"(---
apiVersion: traefik.io/v1alpha1
kind: TLSOption
metadata: {name: mtls, namespace: shop}
spec:
  clientAuth:
    secretNames: [clients-ca, partners-ca]
    clientAuthType: RequireAndVerifyClientCert
---
apiVersion: v1
kind: Secret
metadata: {name: clients-ca, namespace: shop}
type: Opaque
stringData:
  ca.crt: |
)" + CaBlock() + R"(---
apiVersion: v1
kind: Secret
metadata: {name: partners-ca, namespace: shop}
stringData:
  tls.ca: |
)" + CaBlock();
  CompileResult result = Compile(StateFromYaml(yaml));
  REQUIRE(result.tls_options.size() == 1);
  const TlsOption& option = result.tls_options[0];
  CHECK(option.client_auth == ClientAuthType::kRequireAndVerify);
  CHECK(option.client_ca_secrets ==
        std::vector<std::string>{"shop/clients-ca", "shop/partners-ca"});
  size_t first = option.client_ca_pem.find("-----BEGIN CERTIFICATE-----");
  CHECK(option.client_ca_pem.find("-----BEGIN CERTIFICATE-----", first + 1) != std::string::npos);
  CHECK(result.diagnostics.empty());
  CHECK(result.routes.at(0).tls_options == "shop/mtls");
}

TEST_CASE("TLSOption clientAuth problems leave the option out, its routes answer 503",
          "[compiler][tls]") {
  auto option_with = [](const std::string& secret_yaml) {
    return SiteRoute("{name: mtls}") + R"(---
apiVersion: traefik.io/v1alpha1
kind: TLSOption
metadata: {name: mtls, namespace: shop}
spec:
  clientAuth: {secretNames: [ca], clientAuthType: VerifyClientCertIfGiven}
)" + secret_yaml;
  };
  const std::string route_503 =
      "route shop/site/r0 priority 17 hosts site.test tls -> 503 (IngressRoute/shop/site)\n";
  CHECK(Compiled(option_with("")) ==
        route_503 +
            "diagnostic IngressRoute/shop/site InvalidTLSOption: spec.tls.options: TLS option "
            "shop/mtls is invalid: spec.clientAuth.secretNames[0]: Secret shop/ca not found; its "
            "TLS routes answer 503\n"
            "diagnostic TLSOption/shop/mtls InvalidTLSOption: spec.clientAuth.secretNames[0]: "
            "Secret shop/ca not found; the option is left out and the routes naming it answer "
            "503\n");
  std::string no_key = R"(---
apiVersion: v1
kind: Secret
metadata: {name: ca, namespace: shop}
stringData: {tls.crt: x}
)";
  CHECK(
      Compiled(option_with(no_key))
          .find("diagnostic TLSOption/shop/mtls InvalidTLSOption: spec.clientAuth.secretNames[0]: "
                "Secret shop/ca has neither tls.ca nor ca.crt;") != std::string::npos);
  std::string garbage = R"(---
apiVersion: v1
kind: Secret
metadata: {name: ca, namespace: shop}
stringData: {ca.crt: not a certificate}
)";
  CHECK(Compiled(option_with(garbage))
            .find("diagnostic TLSOption/shop/mtls InvalidTLSOption: spec.clientAuth."
                  "secretNames[0]: Secret shop/ca: ca.crt: holds no PEM certificate;") !=
        std::string::npos);
}

TEST_CASE("route references: missing, cross-namespace, Traefik's @kubernetescrd, default",
          "[compiler][tls]") {
  const std::string other_option = R"(---
apiVersion: traefik.io/v1alpha1
kind: TLSOption
metadata: {name: strict, namespace: other}
spec: {sniStrict: true}
)";
  CHECK(Compiled(SiteRoute("{name: nothere}")) ==
        "route shop/site/r0 priority 17 hosts site.test tls -> 503 (IngressRoute/shop/site)\n"
        "diagnostic IngressRoute/shop/site TLSOptionNotFound: spec.tls.options: TLS option "
        "shop/nothere does not exist; its TLS routes answer 503\n");
  std::string cross = SiteRoute("{name: strict, namespace: other}") + other_option;
  CHECK(Compiled(cross) ==
        "route shop/site/r0 priority 17 hosts site.test tls -> 503 (IngressRoute/shop/site)\n"
        "diagnostic IngressRoute/shop/site CrossNamespace: spec.tls.options: TLS option "
        "other/strict is in another namespace, refused (cross-namespace references are off, "
        "--allow-cross-namespace); its TLS routes answer 503\n");
  CHECK(Compiled(cross, {.allow_cross_namespace = true}) ==
        "route shop/site/r0 priority 17 hosts site.test tls options other/strict -> "
        "shop/site/r0/s0 (IngressRoute/shop/site)\n"
        "cluster shop/web:http 10.0.0.1:8080\n"
        "service shop/site/r0/s0 -> shop/web:http\n"
        "tls-option other/strict versions 0-0 suites  curves  alpn  sniStrict clientAuth 0 cas \n");
  std::string crd_name = SiteRoute("{name: other-strict@kubernetescrd}") + other_option;
  CHECK(Compiled(crd_name, {.allow_cross_namespace = true}).find("options other/strict") !=
        std::string::npos);
  // "default" is the default option wherever it is defined.
  CHECK(Compiled(SiteRoute("{name: default}")) ==
        "route shop/site/r0 priority 17 hosts site.test tls -> shop/site/r0/s0 "
        "(IngressRoute/shop/site)\n"
        "cluster shop/web:http 10.0.0.1:8080\n"
        "service shop/site/r0/s0 -> shop/web:http\n");
}

TEST_CASE("the TLSOption named default: one is every TLS route's default, two are none",
          "[compiler][tls]") {
  const std::string default_in = R"(---
apiVersion: traefik.io/v1alpha1
kind: TLSOption
metadata: {name: default, namespace: NS}
spec: {minVersion: VersionTLS13}
)";
  auto in = [&](const std::string& ns) {
    std::string text = default_in;
    text.replace(text.find("NS"), 2, ns);
    return text;
  };
  std::string route = SiteRoute("{name: default}");
  CHECK(Compiled(route + in("traefik")) ==
        "route shop/site/r0 priority 17 hosts site.test tls -> shop/site/r0/s0 "
        "(IngressRoute/shop/site)\n"
        "cluster shop/web:http 10.0.0.1:8080\n"
        "service shop/site/r0/s0 -> shop/web:http\n"
        "tls-option default versions 4-0 suites  curves  alpn  clientAuth 0 cas \n");
  CHECK(Compiled(route + in("traefik") + in("shop")) ==
        "route shop/site/r0 priority 17 hosts site.test tls -> shop/site/r0/s0 "
        "(IngressRoute/shop/site)\n"
        "cluster shop/web:http 10.0.0.1:8080\n"
        "service shop/site/r0/s0 -> shop/web:http\n"
        "diagnostic TLSOption/shop/default Conflict: TLSOptions named default exist in several "
        "namespaces (shop, traefik); none is used, the built-in defaults apply\n"
        "diagnostic TLSOption/traefik/default Conflict: TLSOptions named default exist in "
        "several namespaces (shop, traefik); none is used, the built-in defaults apply\n");
}

TEST_CASE("Ingress: the portico.dev/tls-options annotation names its TLS routes' option",
          "[compiler][tls]") {
  auto ingress = [](const std::string& annotation) {
    return std::string(kBackend) + R"(---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: legacy
  namespace: shop
  annotations: {portico.dev/tls-options: ")" +
           annotation + R"("}
spec:
  tls: [{hosts: [secure.test]}]
  rules:
  - host: secure.test
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
  - host: plain.test
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
---
apiVersion: traefik.io/v1alpha1
kind: TLSOption
metadata: {name: tls13, namespace: shop}
spec: {minVersion: VersionTLS13}
)";
  };
  const std::string expected =
      "route shop/legacy/r0/p0 secure.test Prefix / options shop/tls13 -> shop/web:http "
      "(Ingress/shop/legacy)\n"
      "route shop/legacy/r1/p0 plain.test Prefix / -> shop/web:http (Ingress/shop/legacy)\n"
      "cluster shop/web:http 10.0.0.1:8080\n"
      "tls-option shop/tls13 versions 4-0 suites  curves  alpn  clientAuth 0 cas \n";
  CHECK(Compiled(ingress("shop/tls13")) == expected);
  CHECK(Compiled(ingress("tls13")) == expected);
  CHECK(Compiled(ingress("shop/a/b")) ==
        "route shop/legacy/r0/p0 secure.test Prefix / -> 503 (Ingress/shop/legacy)\n"
        "route shop/legacy/r1/p0 plain.test Prefix / -> shop/web:http (Ingress/shop/legacy)\n"
        "cluster shop/web:http 10.0.0.1:8080\n"
        "diagnostic Ingress/shop/legacy InvalidTLSOption: metadata.annotations[portico.dev/"
        "tls-options]: must name a TLSOption as <namespace>/<name> or <name>, got \"shop/a/b\"; "
        "its TLS routes answer 503\n");
}

TEST_CASE("TLS routes of one host naming different options are reported", "[compiler][tls]") {
  std::string yaml = SiteRoute("{name: tls13}") + R"(---
apiVersion: portico.dev/v1alpha1
kind: IngressRoute
metadata: {name: api, namespace: shop}
spec:
  routes:
  - {match: Host(`site.test`) && PathPrefix(`/api`), services: [{name: web, port: 80}]}
  tls: {}
---
apiVersion: traefik.io/v1alpha1
kind: TLSOption
metadata: {name: tls13, namespace: shop}
spec: {minVersion: VersionTLS13}
)";
  std::string out = Compiled(yaml);
  const std::string message =
      " TLSOptionConflict: host site.test: its TLS routes name different TLS options (default, "
      "shop/tls13); the host uses the default option\n";
  CHECK(out.find("diagnostic IngressRoute/shop/api" + message) != std::string::npos);
  CHECK(out.find("diagnostic IngressRoute/shop/site" + message) != std::string::npos);
}

TEST_CASE("TLSStore default: its defaultCertificate is the snapshot's default", "[compiler][tls]") {
  std::string yaml = R"(apiVersion: traefik.io/v1alpha1
kind: TLSStore
metadata: {name: default, namespace: shop}
spec:
  defaultCertificate: {secretName: fallback}
  certificates: [{secretName: missing}]
---
apiVersion: traefik.io/v1alpha1
kind: TLSStore
metadata: {name: extra, namespace: shop}
spec: {defaultCertificate: {secretName: fallback}}
---
apiVersion: v1
kind: Secret
metadata: {name: fallback, namespace: shop}
type: kubernetes.io/tls
stringData:
  tls.crt: |
)" + CaBlock() + "  tls.key: |\n" +
                     KeyBlock();
  CompileResult result = Compile(StateFromYaml(yaml));
  REQUIRE(result.certificates.size() == 1);
  CHECK(result.certificates[0].name == "shop/fallback");
  CHECK(Describe(result) ==
        "default-certificate shop/fallback\n"
        "diagnostic TLSStore/shop/default SecretNotFound: spec.certificates[0].secretName: "
        "Secret shop/missing: not found; its certificate is left out (the default one is "
        "served)\n"
        "diagnostic TLSStore/shop/extra Unsupported: only the TLSStore named default is used; "
        "this one is ignored\n");
}

}  // namespace
}  // namespace portico::controlplane
