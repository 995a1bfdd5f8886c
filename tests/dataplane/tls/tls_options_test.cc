// TLS options (Traefik's TLSOption) applied by a TlsServerContext, and the
// choice of a context by server name (TlsContextTable).
#include <catch2/catch.hpp>

#include "dataplane/tls/openssl_compat.h"
#include "dataplane/tls/tls_context_table.h"
#include "tests/dataplane/tls/test_server.h"

namespace portico::dataplane {
namespace {

using testing::Handshake;
using testing::MakeContext;
using testing::PemPair;
using testing::Server;
using testing::TestClient;

std::shared_ptr<const ServingCertificate> SiteCertificate() {
  return testing::MakeServingCertificate({.dns_names = {"site.test"}, .common_name = "site"},
                                         "default/site");
}

TEST_CASE("TLS option: a context is chosen by exact host, then wildcard, else default",
          "[tls][options]") {
  TicketKeyRing ring({});
  std::map<std::string, std::shared_ptr<const TlsServerContext>> contexts;
  for (const char* name : {"default", "ns/a", "ns/b", "ns/wild"}) {
    contexts[name] = MakeContext({}, &ring, {.name = name});
  }
  std::vector<std::string> conflicts;
  TlsContextTable table(contexts,
                        {{"a.test", "ns/a"},
                         {"a.test", "ns/a"},
                         {"*.wild.test", "ns/wild"},
                         {"x.wild.test", ""},
                         {"both.test", "ns/a"},
                         {"both.test", "ns/b"}},
                        &conflicts);
  CHECK(table.ForServerName("a.test")->name() == "ns/a");
  CHECK(table.ForServerName("a.test.")->name() == "ns/a");
  CHECK(table.ForServerName("y.wild.test")->name() == "ns/wild");
  CHECK(table.ForServerName("x.wild.test")->name() == "default");  // exact first
  CHECK(table.ForServerName("a.b.wild.test")->name() == "default");
  CHECK(table.ForServerName("wild.test")->name() == "default");
  CHECK(table.ForServerName("")->name() == "default");
  CHECK(table.ForServerName("both.test")->name() == "default");
  REQUIRE(conflicts.size() == 1);
  CHECK(conflicts[0] ==
        "host both.test: its TLS routes name different TLS options (ns/a, ns/b); the default "
        "option is used");
}

TEST_CASE("TLS option: sniStrict refuses no SNI and unknown names", "[tls][options]") {
  TicketKeyRing ring({});
  auto context = MakeContext({SiteCertificate()}, &ring, {.name = "ns/strict", .sni_strict = true});
  Server known{context};
  TestClient good({.server_name = "site.test"});
  REQUIRE(Handshake(good, known));
  CHECK(good.PeerCommonName() == "site");
  Server unknown{context};
  TestClient stranger({.server_name = "other.test"});
  CHECK_FALSE(Handshake(stranger, unknown));
  Server nameless{context};
  TestClient no_sni({});
  CHECK_FALSE(Handshake(no_sni, nameless));
  // Without sniStrict the same client gets the default certificate.
  Server lenient{MakeContext({SiteCertificate()}, &ring)};
  TestClient again({.server_name = "other.test"});
  REQUIRE(Handshake(again, lenient));
  CHECK(again.PeerCommonName() == "PORTICO DEFAULT CERT");
}

TEST_CASE("TLS option: versions, TLS 1.2 cipher suites, groups, tickets", "[tls][options]") {
  TicketKeyRing ring({});
  auto cert = SiteCertificate();
  SECTION("minVersion TLS 1.3 refuses a TLS 1.2 client") {
    auto context = MakeContext({cert}, &ring, {.min_version = TLS1_3_VERSION});
    Server old_server{context};
    TestClient old_client({.server_name = "site.test", .max_version = TLS1_2_VERSION});
    CHECK_FALSE(Handshake(old_client, old_server));
    Server new_server{context};
    TestClient new_client({.server_name = "site.test"});
    CHECK(Handshake(new_client, new_server));
  }
  SECTION("maxVersion TLS 1.2") {
    Server server{MakeContext({cert}, &ring, {.max_version = TLS1_2_VERSION})};
    TestClient client({.server_name = "site.test"});
    REQUIRE(Handshake(client, server));
    CHECK(SSL_version(client.ssl()) == TLS1_2_VERSION);
  }
  SECTION("the TLS 1.2 suite is the option's") {
    Server server{MakeContext({cert}, &ring, {.tls12_ciphers = "ECDHE-ECDSA-AES256-GCM-SHA384"})};
    TestClient client({.server_name = "site.test", .max_version = TLS1_2_VERSION});
    REQUIRE(Handshake(client, server));
    CHECK(std::string(SSL_get_cipher_name(client.ssl())) == "ECDHE-ECDSA-AES256-GCM-SHA384");
  }
  SECTION("the key exchange group is the option's") {
    Server server{MakeContext({cert}, &ring, {.groups = "P-384"})};
    TestClient client({.server_name = "site.test"});
    REQUIRE(Handshake(client, server));
    CHECK(compat::NegotiatedGroupNid(client.ssl()) == NID_secp384r1);
  }
  SECTION("disableSessionTickets: no ticket, nothing to resume") {
    Server server{MakeContext({cert}, &ring, {.session_tickets = false})};
    TestClient client({.server_name = "site.test"});
    REQUIRE(Handshake(client, server));
    testing::Respond(server, client);
    CHECK(client.session() == nullptr);
  }
}

// What each clientAuthType lets through: no certificate, one issued by the
// configured CA, one issued by another CA.
TEST_CASE("TLS option: the five client authentication types", "[tls][options]") {
  TicketKeyRing ring({});
  PemPair ca =
      testing::MakeCertificatePem({.dns_names = {}, .common_name = "Test CA", .is_ca = true});
  PemPair other_ca =
      testing::MakeCertificatePem({.dns_names = {}, .common_name = "Other CA", .is_ca = true});
  PemPair trusted = testing::MakeCertificatePem({.dns_names = {}, .common_name = "alice"}, ca);
  PemPair stranger =
      testing::MakeCertificatePem({.dns_names = {}, .common_name = "mallory"}, other_ca);
  struct Row {
    ClientAuth auth;
    bool without, with_trusted, with_stranger;
  };
  for (Row row :
       {Row{ClientAuth::kNone, true, true, true}, Row{ClientAuth::kRequest, true, true, true},
        Row{ClientAuth::kRequireAny, false, true, true},
        Row{ClientAuth::kVerifyIfGiven, true, true, false},
        Row{ClientAuth::kRequireAndVerify, false, true, false}}) {
    for (int max_version : {TLS1_2_VERSION, TLS1_3_VERSION}) {
      INFO("client auth " << static_cast<int>(row.auth) << ", max version " << std::hex
                          << max_version);
      auto context =
          MakeContext({SiteCertificate()}, &ring,
                      {.name = "ns/mtls", .client_auth = row.auth, .client_ca_pem = ca.chain});
      auto attempt = [&](const PemPair* certificate) {
        Server server{context};
        TestClient client({.server_name = "site.test",
                           .max_version = max_version,
                           .client_certificate = certificate});
        return Handshake(client, server);
      };
      CHECK(attempt(nullptr) == row.without);
      CHECK(attempt(&trusted) == row.with_trusted);
      CHECK(attempt(&stranger) == row.with_stranger);
    }
  }
}

TEST_CASE("TLS option: a verifying option without a usable CA bundle is refused",
          "[tls][options]") {
  TicketKeyRing ring({});
  auto store = std::make_shared<const CertificateStore>(
      std::vector<std::shared_ptr<const ServingCertificate>>{}, GeneratedDefaultCertificate());
  std::string error;
  TlsServerOptions options{.client_auth = ClientAuth::kRequireAndVerify,
                           .client_ca_pem = "not a certificate"};
  CHECK(TlsServerContext::Create(options, store, &ring, &error) == nullptr);
  CHECK(error == "client CA bundle: holds no PEM certificate");
}

TEST_CASE("a CA bundle: every certificate block, other blocks skipped", "[tls][options]") {
  PemPair a = testing::MakeCertificatePem({.common_name = "A", .is_ca = true});
  PemPair b = testing::MakeCertificatePem({.common_name = "B", .is_ca = true});
  X509ChainPtr cas;
  CHECK(ParseCaBundle(a.chain + a.key + b.chain, &cas) == "");
  CHECK(sk_X509_num(cas.get()) == 2);
  CHECK(ParseCaBundle("", &cas) == "holds no PEM certificate");
  std::string broken = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
  CHECK(ParseCaBundle(a.chain + broken, &cas) == "PEM block 2 is not a valid X.509 certificate");
}

}  // namespace
}  // namespace portico::dataplane
