#include "dataplane/tls/certificate_store.h"

#include <catch2/catch.hpp>

#include "dataplane/tls/self_signed.h"
#include "tests/dataplane/tls/test_certificates.h"

namespace portico::dataplane {
namespace {

using testing::MakeServingCertificate;

ClientHello Hello(std::string sni, bool ecdsa = true) {
  ClientHello hello;
  hello.server_name = std::move(sni);
  hello.offers_tls13 = true;
  hello.signature_schemes =
      ecdsa ? std::vector<uint16_t>{0x0403, 0x0804} : std::vector<uint16_t>{0x0804, 0x0401};
  return hello;
}

struct Fixture {
  std::shared_ptr<const ServingCertificate> exact =
      MakeServingCertificate({.dns_names = {"www.example.com"}}, "exact");
  std::shared_ptr<const ServingCertificate> exact_rsa = MakeServingCertificate(
      {.dns_names = {"www.example.com"}, .kind = KeyKind::kRsa}, "exact-rsa");
  std::shared_ptr<const ServingCertificate> wildcard =
      MakeServingCertificate({.dns_names = {"*.example.com"}}, "wildcard");
  std::shared_ptr<const ServingCertificate> fallback = GeneratedDefaultCertificate();
  CertificateStore store{{exact, exact_rsa, wildcard}, fallback};
};

TEST_CASE("selection: exact name, then single-label wildcard, then default", "[tls]") {
  Fixture f;
  CHECK(f.store.Select(Hello("www.example.com")).name == "exact");
  CHECK(f.store.Select(Hello("api.example.com")).name == "wildcard");
  CHECK(f.store.Select(Hello("a.b.example.com")).name == "generated default");
  CHECK(f.store.Select(Hello("example.com")).name == "generated default");
  CHECK(f.store.Select(Hello("")).name == "generated default");
  CHECK(f.store.Select(Hello("other.org")).name == "generated default");
}

TEST_CASE("selection: ECDSA when the client can verify it, else RSA", "[tls]") {
  Fixture f;
  CHECK(f.store.Select(Hello("www.example.com", true)).name == "exact");
  CHECK(f.store.Select(Hello("www.example.com", false)).name == "exact-rsa");
  // A name with one certificate serves it whatever the client says.
  CHECK(f.store.Select(Hello("api.example.com", false)).name == "wildcard");
}

TEST_CASE("selection: of two certificates for a name and key type the first wins", "[tls]") {
  auto first = MakeServingCertificate({.dns_names = {"a.test"}}, "first");
  auto second = MakeServingCertificate({.dns_names = {"a.test"}}, "second");
  CertificateStore store({first, second}, GeneratedDefaultCertificate());
  CHECK(store.Select(Hello("a.test")).name == "first");
}

TEST_CASE("TLS 1.2 clients need an ECDHE_ECDSA suite for ECDSA", "[tls]") {
  ClientHello hello;
  hello.signature_schemes = {0x0403, 0x0401};
  hello.cipher_suites = {0xC02F};  // ECDHE_RSA_WITH_AES_128_GCM_SHA256 only
  CHECK_FALSE(ClientAccepts(hello, KeyKind::kEcdsaP256));
  hello.cipher_suites.push_back(0xC02B);
  CHECK(ClientAccepts(hello, KeyKind::kEcdsaP256));
  CHECK(ClientAccepts(hello, KeyKind::kRsa));
  hello.offers_tls13 = true;  // TLS 1.3 binds the scheme to the curve
  CHECK(ClientAccepts(hello, KeyKind::kEcdsaP256));
  CHECK_FALSE(ClientAccepts(hello, KeyKind::kEcdsaP384));
}

}  // namespace
}  // namespace portico::dataplane
