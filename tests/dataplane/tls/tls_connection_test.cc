#include "dataplane/tls/tls_connection.h"

#include <catch2/catch.hpp>

#include "dataplane/tls/self_signed.h"
#include "tests/dataplane/tls/test_certificates.h"

namespace portico::dataplane {
namespace {

using testing::TestClient;

std::shared_ptr<const TlsServerContext> MakeContext(
    std::vector<std::shared_ptr<const ServingCertificate>> certs, TicketKeyRing* ring,
    TlsServerOptions options = {}) {
  auto store =
      std::make_shared<const CertificateStore>(std::move(certs), GeneratedDefaultCertificate());
  std::string error;
  auto context = TlsServerContext::Create(options, store, ring, &error);
  REQUIRE(error == "");
  REQUIRE(context != nullptr);
  return context;
}

// The server side as the proxy drives it: parse the ClientHello, make the
// SSL, then feed bytes and collect plaintext.
struct Server {
  std::shared_ptr<const TlsServerContext> context;
  std::unique_ptr<TlsConnection> tls;
  std::string plaintext;
  TlsConnection::ReadStatus status = TlsConnection::ReadStatus::kWantMore;

  std::string Feed(const std::string& bytes) {
    std::string out;
    if (tls == nullptr) {
      ClientHello hello;
      std::string why;
      REQUIRE(ParseClientHello(bytes, &hello, &why) == HelloStatus::kComplete);
      SslPtr ssl = context->NewSsl(hello);
      REQUIRE(ssl != nullptr);
      tls = std::make_unique<TlsConnection>(std::move(ssl), context);
    }
    status = tls->Read(bytes, &out, [&](const char* data, size_t len) {
      plaintext.append(data, len);
      return true;
    });
    return out;
  }
};

// Runs the handshake to its end; false if either side failed.
bool Handshake(TestClient& client, Server& server) {
  std::string from_server;
  for (int round = 0; round < 10; ++round) {
    std::string from_client = client.Step(from_server);
    from_server.clear();
    if (client.failed()) return false;
    if (!from_client.empty()) from_server = server.Feed(from_client);
    if (server.status == TlsConnection::ReadStatus::kFailed) return false;
    if (client.done() && server.tls->handshake_done()) {
      if (!from_server.empty()) client.Read(from_server);  // session tickets
      return true;
    }
  }
  return false;
}

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
    std::unique_ptr<SSL_SESSION, OpenSslFree<&SSL_SESSION_free>> session(
        SSL_get1_session(client.ssl()));
    REQUIRE(SSL_SESSION_is_resumable(session.get()) == 1);
    CHECK_FALSE(SSL_session_reused(client.ssl()));

    // A new snapshot builds a new context: the ticket still works.
    Server second{MakeContext({cert}, &ring)};
    TestClient resumed(
        {.server_name = "r.test", .max_version = max_version, .session = session.get()});
    REQUIRE(Handshake(resumed, second));
    CHECK(SSL_session_reused(resumed.ssl()));

    // Another ring (another proxy, or keys forgotten): a full handshake.
    TicketKeyRing other({});
    Server stranger{MakeContext({cert}, &other)};
    TestClient full(
        {.server_name = "r.test", .max_version = max_version, .session = session.get()});
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
