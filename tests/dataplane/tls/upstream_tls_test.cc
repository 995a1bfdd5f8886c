// UpstreamTlsContext: the proxy's side of TLS to backends, driven through
// the same TlsConnection the upstream connections use, against an
// in-memory OpenSSL server. Certificates are made at test time.
#include "dataplane/tls/upstream_tls.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdio>

#include "dataplane/tls/tls_connection.h"
#include "tests/dataplane/tls/test_certificates.h"

namespace portico::dataplane {
namespace {

using testing::CertificateSpec;
using testing::MakeCertificatePem;
using testing::PemPair;

const PemPair& TestCa() {
  static const PemPair ca =
      MakeCertificatePem({.dns_names = {}, .common_name = "Test CA", .is_ca = true});
  return ca;
}

const PemPair& BackendPem() {
  static const PemPair pem =
      MakeCertificatePem({.dns_names = {"backend.test"}, .common_name = "backend"}, TestCa());
  return pem;
}

// A backend's side of TLS over memory BIOs; optionally requires a client
// certificate signed by `client_ca`.
class MemoryServer {
 public:
  explicit MemoryServer(const PemPair& pem, const PemPair* client_ca = nullptr)
      : ctx_(SSL_CTX_new(TLS_server_method())) {
    BioPtr chain(BIO_new_mem_buf(pem.chain.data(), static_cast<int>(pem.chain.size())));
    BioPtr key(BIO_new_mem_buf(pem.key.data(), static_cast<int>(pem.key.size())));
    X509Ptr cert(PEM_read_bio_X509(chain.get(), nullptr, nullptr, nullptr));
    EvpPkeyPtr pkey(PEM_read_bio_PrivateKey(key.get(), nullptr, nullptr, nullptr));
    REQUIRE(SSL_CTX_use_certificate(ctx_.get(), cert.get()) == 1);
    REQUIRE(SSL_CTX_use_PrivateKey(ctx_.get(), pkey.get()) == 1);
    if (client_ca != nullptr) {
      BioPtr ca_bio(
          BIO_new_mem_buf(client_ca->chain.data(), static_cast<int>(client_ca->chain.size())));
      X509Ptr ca(PEM_read_bio_X509(ca_bio.get(), nullptr, nullptr, nullptr));
      REQUIRE(X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx_.get()), ca.get()) == 1);
      SSL_CTX_set_verify(ctx_.get(), SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
    }
    Restart();
  }

  // A fresh server connection on the same SSL_CTX (the same ticket keys:
  // a session of an earlier connection can resume).
  void Restart() {
    ssl_.reset(SSL_new(ctx_.get()));
    in_ = BIO_new(BIO_s_mem());
    out_ = BIO_new(BIO_s_mem());
    SSL_set_bio(ssl_.get(), in_, out_);
    SSL_set_accept_state(ssl_.get());
    done_ = false;
    failed_ = false;
  }

  // Takes the client's bytes, returns the server's answer.
  std::string Step(const std::string& from_client) {
    BIO_write(in_, from_client.data(), static_cast<int>(from_client.size()));
    if (!done_ && !failed_) {
      int rc = SSL_do_handshake(ssl_.get());
      done_ = rc == 1;
      failed_ = rc != 1 && SSL_get_error(ssl_.get(), rc) != SSL_ERROR_WANT_READ;
      ERR_clear_error();
    }
    if (done_) {
      // Past the handshake, as a server reading requests: BoringSSL sends
      // its TLS 1.3 session tickets from here.
      char ignored[256];
      SSL_read(ssl_.get(), ignored, sizeof ignored);
      ERR_clear_error();
    }
    std::string out;
    char buf[16384];
    for (int n; (n = BIO_read(out_, buf, sizeof buf)) > 0;) out.append(buf, static_cast<size_t>(n));
    return out;
  }
  bool done() const { return done_; }
  bool failed() const { return failed_; }
  SSL* ssl() { return ssl_.get(); }

 private:
  SslCtxPtr ctx_;
  SslPtr ssl_;
  BIO* in_ = nullptr;
  BIO* out_ = nullptr;
  bool done_ = false;
  bool failed_ = false;
};

struct Outcome {
  bool client_done = false;
  bool client_failed = false;
  std::string error;  // HandshakeError or CheckPeer, "" when both passed
  bool untrusted = false;  // HandshakeError's verdict: this side refused the backend
  bool resumed = false;    // the handshake resumed a session
  bool missing_client_cert = false;
  // A failure after the client's side was done (a TLS 1.3 server refusing
  // the client's certificate): why the backend aborted, "" if it did not.
  std::string aborted_after_done;
};

// Runs the handshake between a client SSL of `context` for `peer_name` and
// `server`, as UpstreamConnection does: TLS layer first, then CheckPeer.
Outcome Handshake(const UpstreamTlsContext& context, std::string_view peer_name,
                  MemoryServer& server, TlsSessionTarget* sessions = nullptr) {
  SslPtr ssl = context.NewSsl(peer_name, sessions);
  REQUIRE(ssl != nullptr);
  SSL* raw = ssl.get();
  TlsConnection client(std::move(ssl), nullptr);
  auto no_plaintext = [](const char*, size_t) { return false; };
  std::string to_server;
  Outcome outcome;
  auto status = client.Read({}, &to_server, no_plaintext);
  for (int round = 0; round < 8 && status == TlsConnection::ReadStatus::kWantMore; ++round) {
    std::string to_client = server.Step(to_server);
    to_server.clear();
    status = client.Read(to_client, &to_server, no_plaintext);
    if (client.handshake_done() && (server.done() || server.failed())) break;
  }
  // The client's last flight (TLS 1.3 Finished, certificate), and what the
  // server sends after it (TLS 1.3 session tickets), read as a connection
  // would read it.
  std::string after = server.Step(to_server);
  if (!after.empty() && client.handshake_done() && status == TlsConnection::ReadStatus::kWantMore) {
    status = client.Read(after, &to_server, no_plaintext);
  }
  outcome.client_done = client.handshake_done();
  outcome.resumed = SSL_session_reused(raw) == 1;
  outcome.client_failed = status == TlsConnection::ReadStatus::kFailed;
  if (outcome.client_failed) {
    outcome.error = context.HandshakeError(raw, client.failure(), &outcome.untrusted);
    if (outcome.client_done) {
      outcome.aborted_after_done = UpstreamTlsContext::PeerAbortedHandshake(client.failure());
    }
  } else if (outcome.client_done) {
    outcome.error = context.CheckPeer(raw);
  }
  outcome.missing_client_cert = UpstreamTlsContext::MissingClientCertificate(raw);
  // As UpstreamConnection::Close does for a connection that got through.
  if (outcome.client_done && !outcome.client_failed && outcome.error.empty()) {
    UpstreamTlsContext::KeepSessionResumable(raw);
  }
  return outcome;
}

std::shared_ptr<const UpstreamTlsContext> Context(const UpstreamTlsOptions& options) {
  std::string error;
  auto context = UpstreamTlsContext::Create(options, &error);
  INFO(error);
  REQUIRE(context != nullptr);
  return context;
}

TEST_CASE("upstream TLS: the chain and the name verified against rootCAs", "[tls][upstream]") {
  auto context = Context({.root_cas_pem = TestCa().chain});
  MemoryServer server(BackendPem());
  Outcome outcome = Handshake(*context, context->PeerName("backend.test:8443"), server);
  CHECK(outcome.client_done);
  CHECK(outcome.error == "");
  CHECK(server.done());
  CHECK(std::string(SSL_get_servername(server.ssl(), TLSEXT_NAMETYPE_host_name)) == "backend.test");
}

TEST_CASE("upstream TLS: a certificate from an unknown CA fails verification", "[tls][upstream]") {
  PemPair other_ca = MakeCertificatePem({.dns_names = {}, .common_name = "Other", .is_ca = true});
  auto context = Context({.root_cas_pem = other_ca.chain});
  MemoryServer server(BackendPem());
  Outcome outcome = Handshake(*context, "backend.test", server);
  CHECK(outcome.client_failed);
  CHECK_FALSE(outcome.client_done);
  CHECK(outcome.error == "certificate verify failed: unable to get local issuer certificate");
  CHECK(outcome.untrusted);
}

TEST_CASE("upstream TLS: a name the certificate does not hold fails verification",
          "[tls][upstream]") {
  auto context = Context({.server_name = "other.test", .root_cas_pem = TestCa().chain});
  MemoryServer server(BackendPem());
  // serverName wins over the Host.
  CHECK(context->PeerName("backend.test") == "other.test");
  Outcome outcome = Handshake(*context, context->PeerName("backend.test"), server);
  CHECK(outcome.client_failed);
  // OpenSSL says "hostname mismatch", BoringSSL "Hostname mismatch".
  CHECK_THAT(outcome.error,
             Catch::Equals("certificate verify failed: hostname mismatch", Catch::CaseSensitive::No));
  CHECK(outcome.untrusted);
}

TEST_CASE("upstream TLS: insecureSkipVerify accepts any certificate", "[tls][upstream]") {
  PemPair self_signed = MakeCertificatePem({.dns_names = {"elsewhere.test"}});
  auto context = Context({.verify = false});
  MemoryServer server(self_signed);
  Outcome outcome = Handshake(*context, "backend.test", server);
  CHECK(outcome.client_done);
  CHECK(outcome.error == "");
}

TEST_CASE("upstream TLS: verification is on by default, against the system trust store",
          "[tls][upstream]") {
  // SSL_CERT_FILE stands for the system store: first the test CA, then none.
  char path[] = "/tmp/portico-upstream-tls-XXXXXX";
  int fd = mkstemp(path);
  REQUIRE(fd >= 0);
  REQUIRE(write(fd, TestCa().chain.data(), TestCa().chain.size()) ==
          static_cast<ssize_t>(TestCa().chain.size()));
  close(fd);
  const char* before = getenv("SSL_CERT_FILE");
  std::string saved = before != nullptr ? before : "";
  setenv("SSL_CERT_FILE", path, 1);
  auto trusting = Context({});
  setenv("SSL_CERT_FILE", "/nonexistent/portico-ca.pem", 1);
  auto empty = Context({});
  if (before != nullptr) {
    setenv("SSL_CERT_FILE", saved.c_str(), 1);
  } else {
    unsetenv("SSL_CERT_FILE");
  }
  std::remove(path);
  MemoryServer trusted_server(BackendPem());
  CHECK(Handshake(*trusting, "backend.test", trusted_server).error == "");
  MemoryServer refused_server(BackendPem());
  Outcome refused = Handshake(*empty, "backend.test", refused_server);
  CHECK(refused.client_failed);
  CHECK_THAT(refused.error, Catch::StartsWith("certificate verify failed"));
}

TEST_CASE("upstream TLS: the client certificate is presented to a backend that requires one",
          "[tls][upstream]") {
  PemPair client_ca =
      MakeCertificatePem({.dns_names = {}, .common_name = "Client CA", .is_ca = true});
  PemPair client =
      MakeCertificatePem({.dns_names = {"proxy.test"}, .common_name = "proxy"}, client_ca);
  auto with_cert = Context({.root_cas_pem = TestCa().chain,
                            .client_chain_pem = client.chain,
                            .client_key_pem = client.key});
  MemoryServer server(BackendPem(), &client_ca);
  Outcome outcome = Handshake(*with_cert, "backend.test", server);
  CHECK(outcome.error == "");
  CHECK(server.done());
#if defined(OPENSSL_IS_BORINGSSL)
  X509Ptr peer(SSL_get_peer_certificate(server.ssl()));
#else
  X509Ptr peer(SSL_get1_peer_certificate(server.ssl()));
#endif
  REQUIRE(peer != nullptr);
  char cn[64] = {};
  X509_NAME_get_text_by_NID(X509_get_subject_name(peer.get()), NID_commonName, cn, sizeof cn);
  CHECK(std::string(cn) == "proxy");
  CHECK_FALSE(outcome.missing_client_cert);

  auto without = Context({.root_cas_pem = TestCa().chain});
  MemoryServer strict(BackendPem(), &client_ca);
  Outcome refused = Handshake(*without, "backend.test", strict);
  CHECK(strict.failed());
  CHECK(refused.missing_client_cert);
  // TLS 1.3: the client was done before the server refused; the alert that
  // follows says the backend's HTTP server never read a request.
  CHECK(refused.client_done);
  CHECK_FALSE(refused.untrusted);
  // OpenSSL says "tlsv13 alert certificate required", BoringSSL
  // "TLSV1_ALERT_CERTIFICATE_REQUIRED".
  std::string reason = refused.aborted_after_done;
  std::replace(reason.begin(), reason.end(), '_', ' ');
  CHECK_THAT(reason, Catch::Matchers::StartsWith("the backend aborted the handshake: ") &&
                         Catch::Matchers::Contains("certificate required", Catch::CaseSensitive::No));
}

// An SSL-library error code with `reason`, as OpenSSL reports a failure.
unsigned long SslError(int reason) {
  ERR_clear_error();
#if defined(OPENSSL_IS_BORINGSSL)
  ERR_put_error(ERR_LIB_SSL, 0, reason, __FILE__, __LINE__);
#else
  ERR_raise(ERR_LIB_SSL, reason);
#endif
  unsigned long code = ERR_peek_last_error();
  ERR_clear_error();
  return code;
}

TEST_CASE("upstream TLS: only handshake and certificate alerts count as an aborted handshake",
          "[tls][upstream]") {
  // A broken record or a close after the handshake may follow a request
  // the backend read: those are resets, never retried as failed connects.
  CHECK(UpstreamTlsContext::PeerAbortedHandshake(0).empty());
  CHECK(UpstreamTlsContext::PeerAbortedHandshake(
            SslError(SSL_R_DECRYPTION_FAILED_OR_BAD_RECORD_MAC)).empty());
  CHECK(UpstreamTlsContext::PeerAbortedHandshake(
            SslError(SSL_AD_REASON_OFFSET + SSL_AD_CLOSE_NOTIFY)).empty());
  for (int alert : {SSL_AD_UNKNOWN_CA, SSL_AD_BAD_CERTIFICATE, SSL_AD_CERTIFICATE_REQUIRED,
                    SSL_AD_ACCESS_DENIED, SSL_AD_HANDSHAKE_FAILURE}) {
    INFO(alert);
    CHECK_THAT(UpstreamTlsContext::PeerAbortedHandshake(SslError(SSL_AD_REASON_OFFSET + alert)),
               Catch::Matchers::StartsWith("the backend aborted the handshake"));
  }
}

TEST_CASE("upstream TLS: with peerCertURI the URI SAN names the backend, not a DNS name",
          "[tls][upstream]") {
  // A SPIFFE-style certificate: a URI SAN and no DNS name, from the CA.
  PemPair spiffe = MakeCertificatePem(
      {.dns_names = {}, .uris = {"spiffe://shop/web"}, .common_name = "web"}, TestCa());
  auto context = Context({.root_cas_pem = TestCa().chain, .peer_cert_uri = "spiffe://shop/web"});
  MemoryServer server(spiffe);
  Outcome outcome = Handshake(*context, "web.shop.svc", server);
  CHECK(outcome.client_done);
  CHECK(outcome.error.empty());
  // The chain is still verified.
  PemPair other_ca = MakeCertificatePem({.dns_names = {}, .common_name = "Other", .is_ca = true});
  PemPair foreign = MakeCertificatePem(
      {.dns_names = {}, .uris = {"spiffe://shop/web"}, .common_name = "web"}, other_ca);
  MemoryServer impostor(foreign);
  Outcome refused = Handshake(*context, "web.shop.svc", impostor);
  CHECK(refused.client_failed);
  CHECK(refused.untrusted);
}

TEST_CASE("upstream TLS: peerCertURI without a matching URI SAN is refused", "[tls][upstream]") {
  auto context = Context({.root_cas_pem = TestCa().chain, .peer_cert_uri = "spiffe://x/y"});
  MemoryServer server(BackendPem());
  Outcome outcome = Handshake(*context, "backend.test", server);
  CHECK(outcome.client_done);
  CHECK(outcome.error == "peerCertURI: the backend's certificate has no URI SAN spiffe://x/y");
}

// OpenSSL only: against Android's BoringSSL here the client's new-session
// callback receives no TLS 1.3 session in this in-memory exchange (the
// cache stays empty), a difference not chased yet; the proxy links OpenSSL,
// and e2e/test_upstream_tls.py checks resumption against a real backend.
#if !defined(OPENSSL_IS_BORINGSSL)
TEST_CASE("upstream TLS: sessions resume under their own key only", "[tls][upstream]") {
  auto context = Context({.root_cas_pem = TestCa().chain});
  TlsSessionCache cache(8);
  TlsSessionTarget target{.cache = &cache, .key = "10.0.0.1:443 tls#1 backend.test"};
  MemoryServer server(BackendPem());
  Outcome first = Handshake(*context, "backend.test", server, &target);
  REQUIRE(first.client_done);
  CHECK(first.error.empty());
  CHECK_FALSE(first.resumed);
  CHECK(cache.size() == 1);  // the ticket the backend sent after the handshake

  server.Restart();
  Outcome second = Handshake(*context, "backend.test", server, &target);
  REQUIRE(second.client_done);
  CHECK(second.error.empty());
  CHECK(second.resumed);
  CHECK(cache.size() == 1);  // taken when offered, a fresh ticket put back

  // Another key (another endpoint, name or transport) finds nothing.
  TlsSessionTarget other{.cache = &cache, .key = "10.0.0.2:443 tls#1 backend.test"};
  server.Restart();
  Outcome elsewhere = Handshake(*context, "backend.test", server, &other);
  REQUIRE(elsewhere.client_done);
  CHECK_FALSE(elsewhere.resumed);
  CHECK(cache.size() == 2);
}

TEST_CASE("upstream TLS: the session cache is bounded", "[tls][upstream]") {
  TlsSessionCache cache(2);
  auto context = Context({.root_cas_pem = TestCa().chain});
  for (int i = 0; i < 4; ++i) {
    TlsSessionTarget target{.cache = &cache, .key = "endpoint-" + std::to_string(i)};
    MemoryServer server(BackendPem());
    REQUIRE(Handshake(*context, "backend.test", server, &target).client_done);
    CHECK(cache.size() == static_cast<size_t>(std::min(i + 1, 2)));
  }
  CHECK(cache.Take("no such key") == nullptr);
}
#endif  // !OPENSSL_IS_BORINGSSL

TEST_CASE("upstream TLS: the name comes from the Host without its port", "[tls][upstream]") {
  auto context = Context({.verify = false});
  CHECK(context->PeerName("backend.test") == "backend.test");
  CHECK(context->PeerName("backend.test:8443") == "backend.test");
  CHECK(context->PeerName("backend.test.") == "backend.test");
  CHECK(context->PeerName("10.0.0.1:443") == "10.0.0.1");
  CHECK(context->PeerName("[2001:db8::1]:443") == "2001:db8::1");
  CHECK(context->PeerName("2001:db8::1") == "2001:db8::1");
  // A Host that holds no name falls back to the endpoint's address.
  CHECK(context->PeerName("[]", "10.0.0.1:443") == "10.0.0.1");
  CHECK(context->PeerName("", "[2001:db8::1]:443") == "2001:db8::1");
  CHECK(context->PeerName("backend.test", "10.0.0.1:443") == "backend.test");
}

TEST_CASE("upstream TLS: no name to verify is no connection, not no check", "[tls][upstream]") {
  // Reviewer's finding: with an empty name OpenSSL checks the chain only,
  // so any certificate from a trusted CA would do.
  auto verifying = Context({.root_cas_pem = TestCa().chain});
  CHECK(verifying->NewSsl("") == nullptr);
  auto skipping = Context({.verify = false});
  CHECK(skipping->NewSsl("") != nullptr);
}

TEST_CASE("upstream TLS: the subject's CN is not a name", "[tls][upstream]") {
  PemPair cn_only = MakeCertificatePem({.dns_names = {}, .common_name = "backend.test"}, TestCa());
  auto context = Context({.root_cas_pem = TestCa().chain});
  MemoryServer server(cn_only);
  Outcome outcome = Handshake(*context, "backend.test", server);
  CHECK(outcome.client_failed);
  CHECK_THAT(outcome.error, Catch::Matchers::Contains("hostname mismatch", Catch::CaseSensitive::No));
}

TEST_CASE("upstream TLS: a wildcard stands for a whole label only", "[tls][upstream]") {
  auto context = Context({.root_cas_pem = TestCa().chain});
  PemPair partial = MakeCertificatePem({.dns_names = {"ap*.backends.test"}}, TestCa());
  MemoryServer partial_server(partial);
  CHECK(Handshake(*context, "api.backends.test", partial_server).client_failed);
  PemPair whole = MakeCertificatePem({.dns_names = {"*.backends.test"}}, TestCa());
  MemoryServer whole_server(whole);
  Outcome outcome = Handshake(*context, "api.backends.test", whole_server);
  INFO(outcome.error);
  CHECK(outcome.client_done);
  CHECK(outcome.error.empty());
}

TEST_CASE("upstream TLS: settings that cannot be applied are refused with a reason",
          "[tls][upstream]") {
  std::string error;
  CHECK(UpstreamTlsContext::Create({.root_cas_pem = "garbage"}, &error) == nullptr);
  CHECK(error == "rootCAs: holds no PEM certificate");
  PemPair other = MakeCertificatePem({.dns_names = {"x.test"}});
  error.clear();
  CHECK(UpstreamTlsContext::Create(
            {.client_chain_pem = BackendPem().chain, .client_key_pem = other.key}, &error) ==
        nullptr);
  CHECK(error == "client certificate: tls.key does not parse or does not match tls.crt");
  error.clear();
  CHECK(UpstreamTlsContext::Create({.tls12_ciphers = "NO-SUCH-CIPHER"}, &error) == nullptr);
  CHECK_THAT(error, Catch::StartsWith("cipher suites refused"));
  // Each context has its own identity, for the pool key.
  CHECK(Context({})->id() != Context({})->id());
}

}  // namespace
}  // namespace portico::dataplane
