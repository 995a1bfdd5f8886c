#include "controlplane/translate/snapshot_translator.h"

#include <openssl/sha.h>

#include <catch2/catch.hpp>

#include "common/snapshot/snapshot_digest.h"

namespace portico::controlplane {
namespace {

std::string HexOf(const unsigned char* bytes, size_t size) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < size; ++i) {
    out += kHex[bytes[i] >> 4];
    out += kHex[bytes[i] & 15];
  }
  return out;
}

CompileResult Sample() {
  CompileResult result;
  result.routes = {
      {.name = "shop/web/r0/p0",
       .host = "shop.example.com",
       .kind = PathKind::kExact,
       .path = "/api",
       .cluster = "shop/web:http",
       .source = "Ingress/shop/web"},
      {.name = "shop/web/default",
       .host = "",
       .kind = PathKind::kPrefix,
       .path = "/",
       .cluster = "",
       .source = "Ingress/shop/web"},
  };
  result.clusters = {{.name = "shop/web:http",
                      .endpoints = {{"10.0.0.1", 8080, false}, {"10.0.0.2", 8080, true}}}};
  result.diagnostics = {{"Ingress/shop/web", "BackendNotFound", "not in the snapshot"}};
  return result;
}

TEST_CASE("the snapshot carries routes and clusters in the given order", "[translate]") {
  v1::Snapshot s = TranslateSnapshot(Sample());
  REQUIRE(s.routes_size() == 2);
  CHECK(s.routes(0).name() == "shop/web/r0/p0");
  CHECK(s.routes(0).host() == "shop.example.com");
  CHECK(s.routes(0).path().kind() == v1::PathMatch::EXACT);
  CHECK(s.routes(0).path().path() == "/api");
  CHECK(s.routes(0).cluster() == "shop/web:http");
  CHECK(s.routes(0).source() == "Ingress/shop/web");
  CHECK(s.routes(1).path().kind() == v1::PathMatch::PREFIX);
  CHECK(s.routes(1).cluster().empty());
  REQUIRE(s.clusters_size() == 1);
  CHECK(s.clusters(0).name() == "shop/web:http");
  REQUIRE(s.clusters(0).endpoints_size() == 2);
  CHECK(s.clusters(0).endpoints(0).address() == "10.0.0.1");
  CHECK(s.clusters(0).endpoints(0).port() == 8080);
  CHECK_FALSE(s.clusters(0).endpoints(0).terminating());
  CHECK(s.clusters(0).endpoints(1).terminating());
}

TEST_CASE("the version is the SHA-256 of the snapshot without its version", "[translate]") {
  // The empty snapshot serializes to no bytes: the digest of "".
  CHECK(TranslateSnapshot({}).version() ==
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");

  v1::Snapshot s = TranslateSnapshot(Sample());
  v1::Snapshot without = s;
  without.clear_version();
  std::string bytes = without.SerializeAsString();  // no maps: already deterministic
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), digest);
  CHECK(s.version() == HexOf(digest, sizeof digest));
  CHECK(SnapshotDigest(s) == s.version());  // a set version does not feed into itself
}

TEST_CASE("any change of content changes the version", "[translate]") {
  CompileResult changed = Sample();
  changed.clusters[0].endpoints[1].terminating = false;
  CHECK(TranslateSnapshot(changed).version() != TranslateSnapshot(Sample()).version());
  CHECK(TranslateSnapshot(Sample()).version() == TranslateSnapshot(Sample()).version());
}

TEST_CASE("TLS options and a TLS route's option reach the snapshot", "[translate]") {
  CompileResult result = Sample();
  result.routes[0].tls = true;
  result.routes[0].tls_options = "shop/mtls";
  result.tls_options = {{.name = "shop/mtls",
                         .min_version = TlsVersion::kTls13,
                         .max_version = TlsVersion::kUnspecified,
                         .cipher_suites = {"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"},
                         .curve_preferences = {"P-256"},
                         .alpn_protocols = {"http/1.1"},
                         .sni_strict = true,
                         .client_auth = ClientAuthType::kVerifyIfGiven,
                         .client_ca_pem = "CA PEM",
                         .client_ca_secrets = {"shop/ca"},
                         .disable_session_tickets = true}};
  v1::Snapshot s = TranslateSnapshot(result);
  CHECK(s.routes(0).tls().options() == "shop/mtls");
  CHECK_FALSE(s.routes(1).has_tls());
  REQUIRE(s.tls_options_size() == 1);
  const v1::TlsOption& o = s.tls_options(0);
  CHECK(o.name() == "shop/mtls");
  CHECK(o.min_version() == v1::TLS_1_3);
  CHECK(o.max_version() == v1::TLS_VERSION_UNSPECIFIED);
  CHECK(o.cipher_suites(0) == "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256");
  CHECK(o.curve_preferences(0) == "P-256");
  CHECK(o.alpn_protocols(0) == "http/1.1");
  CHECK(o.sni_strict());
  CHECK(o.client_auth().type() == v1::VERIFY_CLIENT_CERT_IF_GIVEN);
  CHECK(o.client_auth().ca_bundle_pem() == "CA PEM");
  CHECK(o.client_auth().ca_secrets(0) == "shop/ca");
  CHECK(o.disable_session_tickets());
}

}  // namespace
}  // namespace portico::controlplane
