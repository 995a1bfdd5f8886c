// TLSOption, TLSStore and MiddlewareTCP decoding.
#include <catch2/catch.hpp>

#include "controlplane/crd/middleware_tcp.h"
#include "controlplane/crd/tls_option.h"
#include "tests/controlplane/crd/crd_test_support.h"

namespace portico::controlplane::crd {
namespace {

TEST_CASE("tls option: every field") {
  TlsOption o;
  REQUIRE(testing::DecodeSpecYaml("TLSOption", R"yaml(
  minVersion: VersionTLS12
  maxVersion: VersionTLS13
  cipherSuites: [TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305]
  curvePreferences: [CurveP521, secp384r1, X25519]
  clientAuth: {secretNames: [ca], clientAuthType: RequireAndVerifyClientCert}
  sniStrict: true
  alpnProtocols: [h2, http/1.1]
  disableSessionTickets: true
  preferServerCipherSuites: true
)yaml",
                                  &o) == "");
  CHECK(o.spec.min_version == "VersionTLS12");
  CHECK(o.spec.max_version == "VersionTLS13");
  CHECK(o.spec.cipher_suites.size() == 2);
  CHECK(o.spec.curve_preferences == std::vector<std::string>{"CurveP521", "secp384r1", "X25519"});
  CHECK(o.spec.client_auth_secret_names == std::vector<std::string>{"ca"});
  CHECK(o.spec.client_auth_type == "RequireAndVerifyClientCert");
  CHECK(o.spec.sni_strict);
  CHECK(o.spec.alpn_protocols == std::vector<std::string>{"h2", "http/1.1"});
  CHECK(o.spec.disable_session_tickets);
  CHECK(o.crd.warnings ==
        std::vector<std::string>{"spec.preferServerCipherSuites: deprecated, ignored"});
}

TEST_CASE("tls option: an empty spec is the defaults") {
  TlsOption o;
  REQUIRE(testing::DecodeSpecYaml("TLSOption", "{}", &o) == "");
  CHECK(o.spec.min_version.empty());
}

TEST_CASE("tls option: refusals") {
  testing::ExpectErrors<TlsOption>(
      "TLSOption",
      {
          {"{minVersion: TLS12}",
           "spec.minVersion: must be VersionTLS10, VersionTLS11, VersionTLS12 or VersionTLS13, "
           "got \"TLS12\""},
          {"{minVersion: VersionTLS13, maxVersion: VersionTLS12}",
           "spec.maxVersion: must not be below minVersion (VersionTLS13)"},
          {"{maxVersion: VersionTLS11}",
           "spec.maxVersion: must not be below minVersion (VersionTLS12)"},
          {"{cipherSuites: [TLS_RSA_WITH_RC4_128_SHA]}", "spec.cipherSuites[0]: must be TLS_RSA_"},
          {"{curvePreferences: [P256]}", "spec.curvePreferences[0]: must be CurveP256,"},
          {"{clientAuth: {clientAuthType: Always}}", "spec.clientAuth.clientAuthType: must be"},
          {"{clientAuth: {clientAuthType: VerifyClientCertIfGiven}}",
           "spec.clientAuth.secretNames: must name at least one CA Secret when clientAuthType is "
           "VerifyClientCertIfGiven"},
          {"{clientAuth: {secretNames: [CA]}}",
           "spec.clientAuth.secretNames[0]: must be a Secret name"},
          {"{sniStrict: 1}", "spec.sniStrict: must be true or false, got an integer"},
          {"{alpnProtocols: ['']}", "spec.alpnProtocols[0]: must not be empty"},
      });
}

TEST_CASE("tls store: certificates and defaults") {
  TlsStore s;
  REQUIRE(testing::DecodeSpecYaml("TLSStore", R"yaml(
  certificates: [{secretName: a}, {secretName: b}]
  defaultCertificate: {secretName: fallback}
  defaultGeneratedCert: {resolver: le, domain: {main: example.com, sans: ['*.example.com']}}
)yaml",
                                  &s) == "");
  CHECK(s.spec.certificate_secret_names == std::vector<std::string>{"a", "b"});
  CHECK(s.spec.default_certificate_secret_name == "fallback");
  CHECK(s.spec.default_generated_cert_resolver == "le");
  REQUIRE(s.spec.default_generated_cert_domain);
  CHECK(s.spec.default_generated_cert_domain->main == "example.com");
  testing::ExpectErrors<TlsStore>(
      "TLSStore", {
                      {"{certificates: [{}]}", "spec.certificates[0].secretName: required"},
                      {"{certificates: [{secretName: A}]}",
                       "spec.certificates[0].secretName: must be a Secret name"},
                      {"{defaultCertificate: {}}", "spec.defaultCertificate.secretName: required"},
                      {"{defaultGeneratedCert: {domain: {main: a.example}}}",
                       "spec.defaultGeneratedCert.resolver: required"},
                      {"{defaultGeneratedCert: {resolver: le, domain: {sans: [a]}}}",
                       "spec.defaultGeneratedCert.domain.main: required"},
                  });
}

TEST_CASE("middleware tcp: each type and refusals") {
  MiddlewareTcp m;
  REQUIRE(testing::DecodeSpecYaml("MiddlewareTCP", "{inFlightConn: {amount: 10}}", &m) == "");
  CHECK(m.spec.type == "inFlightConn");
  CHECK(m.spec.in_flight_conn_amount == 10);
  REQUIRE(testing::DecodeSpecYaml("MiddlewareTCP", "{ipAllowList: {sourceRange: [10.0.0.0/8]}}",
                                  &m) == "");
  CHECK(m.spec.type == "ipAllowList");
  CHECK(m.spec.source_range == std::vector<std::string>{"10.0.0.0/8"});
  MiddlewareTcp old;
  REQUIRE(testing::DecodeSpecYaml("MiddlewareTCP", "{ipWhiteList: {sourceRange: ['::1']}}", &old) ==
          "");
  CHECK(old.spec.type == "ipAllowList");
  CHECK(old.crd.warnings ==
        std::vector<std::string>{"spec.ipWhiteList: deprecated, read as ipAllowList"});
  testing::ExpectErrors<MiddlewareTcp>(
      "MiddlewareTCP",
      {
          {"{}", "spec: must set one of inFlightConn, ipAllowList or ipWhiteList"},
          {"{inFlightConn: {amount: 1}, ipAllowList: {sourceRange: [::1]}}",
           "spec: must set only one of inFlightConn, ipAllowList or ipWhiteList, got inFlightConn "
           "and ipAllowList"},
          {"{inFlightConn: {}}", "spec.inFlightConn.amount: required"},
          {"{inFlightConn: {amount: 0}}", "spec.inFlightConn.amount: must be at least 1, got 0"},
          {"{ipAllowList: {sourceRange: []}}", "spec.ipAllowList.sourceRange: must not be empty"},
          {"{ipAllowList: {sourceRange: [10.0.0.0/8, nope]}}",
           "spec.ipAllowList.sourceRange[1]: must be an IP address or CIDR range, got \"nope\""},
          {"{ipAllowList: {sourceRange: [::1], ipStrategy: {depth: 1}}}",
           "spec.ipAllowList.ipStrategy: unknown field"},
      });
}

}  // namespace
}  // namespace portico::controlplane::crd
