#include "dataplane/tls/serving_certificate.h"

#include <catch2/catch.hpp>
#include <ctime>

#include "tests/dataplane/tls/test_certificates.h"

namespace portico::dataplane {
namespace {

using testing::CertificateSpec;
using testing::MakeCertificatePem;

TEST_CASE("an ECDSA certificate parses with its SAN names lowercased", "[tls]") {
  testing::PemPair pem = MakeCertificatePem({.dns_names = {"WWW.Example.com", "*.example.com"}});
  ServingCertificate cert;
  REQUIRE(ParseServingCertificate(pem.chain, pem.key, &cert) == "");
  CHECK(cert.kind == KeyKind::kEcdsaP256);
  CHECK(cert.dns_names == std::vector<std::string>{"www.example.com", "*.example.com"});
  CHECK(cert.not_after > cert.not_before);
}

TEST_CASE("RSA and P-384 keys are classified", "[tls]") {
  ServingCertificate rsa, p384;
  testing::PemPair a = MakeCertificatePem({.kind = KeyKind::kRsa});
  testing::PemPair b = MakeCertificatePem({.kind = KeyKind::kEcdsaP384});
  REQUIRE(ParseServingCertificate(a.chain, a.key, &rsa) == "");
  REQUIRE(ParseServingCertificate(b.chain, b.key, &p384) == "");
  CHECK(rsa.kind == KeyKind::kRsa);
  CHECK(p384.kind == KeyKind::kEcdsaP384);
}

TEST_CASE("without a SAN the subject CN is the name", "[tls]") {
  testing::PemPair pem = MakeCertificatePem({.dns_names = {}, .common_name = "Legacy.Example"});
  ServingCertificate cert;
  REQUIRE(ParseServingCertificate(pem.chain, pem.key, &cert) == "");
  CHECK(cert.dns_names == std::vector<std::string>{"legacy.example"});
}

TEST_CASE("loading errors name the Secret key and hold no key material", "[tls]") {
  testing::PemPair good = MakeCertificatePem({});
  testing::PemPair other = MakeCertificatePem({});
  ServingCertificate cert;
  SECTION("empty tls.crt") {
    CHECK(ParseServingCertificate("", good.key, &cert) == "tls.crt: no PEM certificate found");
  }
  SECTION("garbage inside the PEM armour") {
    std::string broken = good.chain;
    broken.replace(broken.find('\n') + 10, 20, "!!!!!!!!!!!!!!!!!!!!");
    CHECK(ParseServingCertificate(broken, good.key, &cert) ==
          "tls.crt: certificate 1 of the chain is not a parsable PEM certificate");
  }
  SECTION("unparsable key") {
    std::string error = ParseServingCertificate(good.chain, "not a key", &cert);
    CHECK(error == "tls.key: not a parsable, unencrypted PEM private key");
  }
  SECTION("key of another certificate") {
    std::string error = ParseServingCertificate(good.chain, other.key, &cert);
    CHECK(error == "tls.key: the private key does not match the certificate in tls.crt");
    CHECK(error.find("PRIVATE") == std::string::npos);
  }
}

TEST_CASE("the validity period is checked against the given time", "[tls]") {
  testing::PemPair pem =
      MakeCertificatePem({.valid_from_offset_s = -7200, .valid_until_offset_s = -3600});
  ServingCertificate cert;
  REQUIRE(ParseServingCertificate(pem.chain, pem.key, &cert) == "");
  int64_t now = static_cast<int64_t>(time(nullptr));
  CHECK(CheckValidityPeriod(cert, now).starts_with("expired at 20"));
  CHECK(CheckValidityPeriod(cert, now - 5400) == "");
  CHECK(CheckValidityPeriod(cert, now - 9000).starts_with("not valid before "));
  CHECK(FormatUnixTime(0) == "1970-01-01T00:00:00Z");
}

}  // namespace
}  // namespace portico::dataplane
