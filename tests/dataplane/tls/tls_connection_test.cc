#include "dataplane/tls/tls_connection.h"

#include <catch2/catch.hpp>

#include "tests/dataplane/tls/test_server.h"

namespace portico::dataplane {
namespace {

using testing::Handshake;
using testing::MakeContext;
using testing::Server;
using testing::TestClient;

TEST_CASE("handshake by SNI, ALPN http/1.1, plaintext both ways", "[tls]") {
  TicketKeyRing ring({});
  auto cert = testing::MakeServingCertificate(
      {.dns_names = {"www.example.com"}, .common_name = "www"}, "default/www");
  Server server{MakeContext({cert}, &ring)};
  TestClient client({.server_name = "www.example.com", .alpn = {"h2", "http/1.1"}});
  REQUIRE(Handshake(client, server));
  CHECK(client.PeerCommonName() == "www");
  CHECK(server.tls->alpn() == "http/1.1");

  server.Feed(client.Write("GET / HTTP/1.1\r\n\r\n"));
  CHECK(server.plaintext == "GET / HTTP/1.1\r\n\r\n");
  std::string body(100'000, 'x');  // several records
  std::string out;
  REQUIRE(server.tls->Write(body, &out));
  CHECK(client.Read(out) == body);
}

TEST_CASE("unknown SNI gets the generated default certificate", "[tls]") {
  TicketKeyRing ring({});
  Server server{MakeContext({}, &ring)};
  TestClient client({.server_name = "nobody.test"});
  REQUIRE(Handshake(client, server));
  CHECK(client.PeerCommonName() == "PORTICO DEFAULT CERT");
}

TEST_CASE("an RSA-only client gets the RSA certificate of a dual-key name", "[tls]") {
  TicketKeyRing ring({});
  auto ecdsa = testing::MakeServingCertificate({.dns_names = {"dual.test"}, .common_name = "ecdsa"},
                                               "ecdsa");
  auto rsa = testing::MakeServingCertificate(
      {.dns_names = {"dual.test"}, .common_name = "rsa", .kind = KeyKind::kRsa}, "rsa");
  Server server{MakeContext({ecdsa, rsa}, &ring)};
  TestClient rsa_client({.server_name = "dual.test", .sigalgs = "RSA-PSS+SHA256:RSA+SHA256"});
  REQUIRE(Handshake(rsa_client, server));
  CHECK(rsa_client.PeerCommonName() == "rsa");
  Server again{server.context};
  TestClient any_client({.server_name = "dual.test"});
  REQUIRE(Handshake(any_client, again));
  CHECK(any_client.PeerCommonName() == "ecdsa");
}

TEST_CASE("TLS 1.1 is refused by default", "[tls]") {
  TicketKeyRing ring({});
  Server server{MakeContext({}, &ring)};
  TestClient client({.max_version = TLS1_1_VERSION});
  CHECK_FALSE(Handshake(client, server));
}

TEST_CASE("a client without a common ALPN protocol is refused", "[tls]") {
  TicketKeyRing ring({});
  Server server{MakeContext({}, &ring)};
  TestClient client({.alpn = {"h2"}});
  CHECK_FALSE(Handshake(client, server));
}

TEST_CASE("sessions resume with tickets, across contexts sharing a key ring", "[tls]") {
  TicketKeyRing ring({});
  auto cert = testing::MakeServingCertificate({.dns_names = {"r.test"}}, "r");
  for (int max_version : {TLS1_2_VERSION, TLS1_3_VERSION}) {
    INFO("max version " << std::hex << max_version);
    Server first{MakeContext({cert}, &ring)};
    TestClient client({.server_name = "r.test", .max_version = max_version});
    REQUIRE(Handshake(client, first));
    testing::Respond(first, client);
    SSL_SESSION* session = client.session();
    REQUIRE(session != nullptr);
    REQUIRE(SSL_SESSION_is_resumable(session) == 1);
    CHECK_FALSE(SSL_session_reused(client.ssl()));

    // A new snapshot builds a new context: the ticket still works.
    Server second{MakeContext({cert}, &ring)};
    TestClient resumed({.server_name = "r.test", .max_version = max_version, .session = session});
    REQUIRE(Handshake(resumed, second));
    CHECK(SSL_session_reused(resumed.ssl()));

    // Another ring (another proxy, or keys forgotten): a full handshake.
    TicketKeyRing other({});
    Server stranger{MakeContext({cert}, &other)};
    TestClient full({.server_name = "r.test", .max_version = max_version, .session = session});
    REQUIRE(Handshake(full, stranger));
    CHECK_FALSE(SSL_session_reused(full.ssl()));
  }
}

TEST_CASE("garbage after the ClientHello fails the connection", "[tls]") {
  TicketKeyRing ring({});
  Server server{MakeContext({}, &ring)};
  TestClient client({});
  std::string hello = client.Step("");
  server.Feed(hello);
  REQUIRE(server.status == TlsConnection::ReadStatus::kWantMore);
  server.Feed(std::string(64, '\x17'));
  CHECK(server.status == TlsConnection::ReadStatus::kFailed);
}

}  // namespace
}  // namespace portico::dataplane
