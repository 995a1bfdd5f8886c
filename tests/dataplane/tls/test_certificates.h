// Test support: certificates and keys made in memory with the OpenSSL API
// at test time (no private key is ever committed), and an in-memory TLS
// client to drive a server. Single-threaded.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "dataplane/tls/openssl_handles.h"
#include "dataplane/tls/serving_certificate.h"

namespace portico::dataplane::testing {

struct CertificateSpec {
  std::vector<std::string> dns_names = {"example.com"};
  std::vector<std::string> uris;  // URI SANs ("spiffe://...")
  std::string common_name = "test";
  KeyKind kind = KeyKind::kEcdsaP256;
  int64_t valid_from_offset_s = -3600;  // relative to now
  int64_t valid_until_offset_s = 86400;
  bool is_ca = false;  // basicConstraints CA:TRUE
};

struct PemPair {
  std::string chain;  // the leaf only: these tests need no intermediates
  std::string key;
};

PemPair MakeCertificatePem(const CertificateSpec& spec);
// The same, issued (signed) by the certificate and key of `ca`.
PemPair MakeCertificatePem(const CertificateSpec& spec, const PemPair& ca);

// Parses what MakeCertificatePem made; fails the test on error.
std::shared_ptr<const ServingCertificate> MakeServingCertificate(const CertificateSpec& spec,
                                                                 const std::string& name);

// A memory-BIO TLS client: Start() produces its ClientHello; Feed/Drain
// exchange bytes with a server.
class TestClient {
 public:
  struct Options {
    std::string server_name;
    std::vector<std::string> alpn = {"http/1.1"};
    int max_version = TLS1_3_VERSION;
    int min_version = TLS1_VERSION;
    std::string sigalgs;  // OpenSSL syntax; "" keeps the default
    std::string tls12_ciphers;
    SSL_SESSION* session = nullptr;               // to resume
    const PemPair* client_certificate = nullptr;  // sent when the server asks
  };
  explicit TestClient(const Options& options);
  ~TestClient();

  // Drives the handshake with the bytes the server sent; returns what the
  // client has to send.
  std::string Step(const std::string& from_server);
  bool done() const;
  bool failed() const { return failed_; }
  std::string Write(const std::string& plaintext);
  std::string Read(const std::string& from_server);
  SSL* ssl() { return ssl_.get(); }
  // The last session the server handed out (a TLS 1.3 ticket, or the
  // session of a TLS 1.2 handshake), null if none: what a client would
  // resume with. Taken from the new-session callback, as BoringSSL requires
  // for TLS 1.3 (SSL_get1_session returns an unresumable session there).
  SSL_SESSION* session() const { return session_.get(); }
  // The subject CN of the certificate the server presented.
  std::string PeerCommonName();

 private:
  std::string TakeOutput();
  static int OnNewSession(SSL* ssl, SSL_SESSION* session);
  SslCtxPtr ctx_;
  SslPtr ssl_;
  BIO* in_ = nullptr;   // owned by ssl_
  BIO* out_ = nullptr;  // owned by ssl_
  bool failed_ = false;
  SslSessionPtr session_;
};

}  // namespace portico::dataplane::testing
