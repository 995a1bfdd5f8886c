// Test support: the server side of a TLS connection driven as the proxy
// drives it (parse the ClientHello, make the SSL, feed bytes), against the
// in-memory TestClient. Single-threaded.
#pragma once

#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <vector>

#include "dataplane/tls/self_signed.h"
#include "dataplane/tls/tls_connection.h"
#include "tests/dataplane/tls/test_certificates.h"

namespace portico::dataplane::testing {

inline std::shared_ptr<const TlsServerContext> MakeContext(
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
inline bool Handshake(TestClient& client, Server& server) {
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

// The server writes a short response that the client reads, as on a real
// connection. BoringSSL sends its TLS 1.3 session tickets only with the
// server's first write (OpenSSL right after the handshake), so a test of
// tickets calls this before looking at client.session().
inline void Respond(Server& server, TestClient& client) {
  std::string out;
  REQUIRE(server.tls->Write("ok", &out));
  REQUIRE(client.Read(out) == "ok");
}

}  // namespace portico::dataplane::testing
