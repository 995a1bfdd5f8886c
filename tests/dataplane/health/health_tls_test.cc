// https checks: TLS to the endpoint, the certificate verified against the
// trust store and the hostname.
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>

#include "dataplane/upstream/health_prober.h"
#include "tests/dataplane/health/health_support.h"
#include "tests/dataplane/tls/test_certificates.h"

namespace portico::dataplane::testing {
namespace {

// A blocking TLS server on 127.0.0.1 that answers every request with 200.
class TlsBackend {
 public:
  explicit TlsBackend(const PemPair& pem) : ctx_(SSL_CTX_new(TLS_server_method())) {
    BioPtr chain(BIO_new_mem_buf(pem.chain.data(), static_cast<int>(pem.chain.size())));
    BioPtr key(BIO_new_mem_buf(pem.key.data(), static_cast<int>(pem.key.size())));
    X509Ptr cert(PEM_read_bio_X509(chain.get(), nullptr, nullptr, nullptr));
    EvpPkeyPtr pkey(PEM_read_bio_PrivateKey(key.get(), nullptr, nullptr, nullptr));
    REQUIRE(SSL_CTX_use_certificate(ctx_.get(), cert.get()) == 1);
    REQUIRE(SSL_CTX_use_PrivateKey(ctx_.get(), pkey.get()) == 1);
    fd_ = ListenLoopback(&port_);
    thread_ = std::thread([this] { Serve(); });
  }
  ~TlsBackend() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }
  int port() const { return port_; }
  int answered() const { return answered_.load(); }

 private:
  void Serve() {
    while (!stop_) {
      pollfd p{.fd = fd_, .events = POLLIN, .revents = 0};
      if (::poll(&p, 1, 20) <= 0) continue;
      int conn = ::accept(fd_, nullptr, nullptr);
      if (conn < 0) continue;
      timeval tv{.tv_sec = 2, .tv_usec = 0};
      setsockopt(conn, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      SslPtr ssl(SSL_new(ctx_.get()));
      SSL_set_fd(ssl.get(), conn);
      if (SSL_accept(ssl.get()) == 1) Answer(ssl.get());
      ::close(conn);
    }
  }
  void Answer(SSL* ssl) {
    std::string request;
    char buf[4096];
    while (request.find("\r\n\r\n") == std::string::npos) {
      int n = SSL_read(ssl, buf, sizeof buf);
      if (n <= 0) return;
      request.append(buf, static_cast<size_t>(n));
    }
    std::string response = testing::Answer(200);
    if (SSL_write(ssl, response.data(), static_cast<int>(response.size())) > 0) answered_++;
    SSL_shutdown(ssl);
  }

  SslCtxPtr ctx_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> answered_{0};
  std::thread thread_;
};

// The certificate as a CA file, removed at the end of the test.
class CaFile {
 public:
  explicit CaFile(const std::string& pem) {
    path_ = (std::filesystem::temp_directory_path() / "portico-health-ca-XXXXXX").string();
    int fd = mkstemp(path_.data());
    REQUIRE(fd >= 0);
    REQUIRE(::write(fd, pem.data(), pem.size()) == static_cast<ssize_t>(pem.size()));
    ::close(fd);
  }
  ~CaFile() { std::remove(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

v1::HealthCheck HttpsCheck(const std::string& hostname) {
  v1::HealthCheck check = FastCheck("/health", 20);
  check.set_scheme("https");
  check.set_hostname(hostname);
  return check;
}

struct TlsProbing {
  Publications published;
  HealthProber prober;
  TlsProbing(const std::string& ca_file, std::vector<HealthTarget> targets)
      : prober(published.Sink(), HealthProberOptions{.ca_file = ca_file, .seed = 5}) {
    published.Watch(&prober);
    prober.Start();
    prober.Update(std::move(targets));
  }
};

TEST_CASE("health tls: a trusted certificate for the hostname passes") {
  PemPair pem = MakeCertificatePem({.dns_names = {"svc.example"}});
  CaFile ca(pem.chain);
  TlsBackend backend(pem);
  TlsProbing p(ca.path(), {LoopbackTarget(backend.port(), HttpsCheck("svc.example"))});
  REQUIRE(WaitUntil([&] { return backend.answered() >= 3; }));
  CHECK(p.prober.failures_total() == 0);
  CHECK(p.published.size() == 1);
}

TEST_CASE("health tls: a certificate for another name fails verification") {
  PemPair pem = MakeCertificatePem({.dns_names = {"svc.example"}});
  CaFile ca(pem.chain);
  TlsBackend backend(pem);
  TlsProbing p(ca.path(), {LoopbackTarget(backend.port(), HttpsCheck("other.example"))});
  REQUIRE(WaitUntil([&] { return p.published.size() >= 2; }));
  std::string reason(p.published.last().status->Reason("svc", LoopbackEndpoint(backend.port())));
  CHECK(reason.starts_with("tls: certificate verify failed: "));
  CHECK(backend.answered() == 0);
}

TEST_CASE("health tls: an untrusted certificate fails verification") {
  PemPair pem = MakeCertificatePem({.dns_names = {"svc.example"}});
  TlsBackend backend(pem);
  TlsProbing p("", {LoopbackTarget(backend.port(), HttpsCheck("svc.example"))});
  REQUIRE(WaitUntil([&] { return p.published.size() >= 2; }));
  std::string reason(p.published.last().status->Reason("svc", LoopbackEndpoint(backend.port())));
  CHECK(reason.starts_with("tls: certificate verify failed: "));
  CHECK(backend.answered() == 0);
}

}  // namespace
}  // namespace portico::dataplane::testing
