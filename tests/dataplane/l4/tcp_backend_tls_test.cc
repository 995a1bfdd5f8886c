// L4Backend.tls: the proxy dials the backend with TLS under the route's
// ServersTransportTCP (UpstreamTlsContext), verifying it, and splices the
// client's plaintext through it.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <thread>

#include "tests/dataplane/l4/l4_support.h"
#include "tests/dataplane/support/proxy_under_test.h"
#include "tests/dataplane/tls/test_certificates.h"

namespace portico {
namespace {

using testing::RawClient;

// One TLS connection at a time: says "tls-backend\n", then echoes.
class TlsEchoServer {
 public:
  explicit TlsEchoServer(const dataplane::testing::PemPair& pem) {
    ctx_ = SSL_CTX_new(TLS_server_method());
    BIO* cert = BIO_new_mem_buf(pem.chain.data(), static_cast<int>(pem.chain.size()));
    BIO* key = BIO_new_mem_buf(pem.key.data(), static_cast<int>(pem.key.size()));
    X509* x509 = PEM_read_bio_X509(cert, nullptr, nullptr, nullptr);
    EVP_PKEY* pkey = PEM_read_bio_PrivateKey(key, nullptr, nullptr, nullptr);
    REQUIRE(SSL_CTX_use_certificate(ctx_, x509) == 1);
    REQUIRE(SSL_CTX_use_PrivateKey(ctx_, pkey) == 1);
    X509_free(x509);
    EVP_PKEY_free(pkey);
    BIO_free(cert);
    BIO_free(key);
    listen_fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
    REQUIRE(bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    REQUIRE(listen(listen_fd_, 8) == 0);
    socklen_t len = sizeof addr;
    getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~TlsEchoServer() {
    stop_ = true;
    thread_.join();
    close(listen_fd_);
    SSL_CTX_free(ctx_);
  }
  int port() const { return port_; }
  int handshakes() const { return handshakes_.load(); }

 private:
  void Serve() {
    while (!stop_) {
      pollfd p{.fd = listen_fd_, .events = POLLIN, .revents = 0};
      if (poll(&p, 1, 20) <= 0) continue;
      int fd = accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) continue;
      timeval tv{.tv_sec = 0, .tv_usec = 100'000};
      setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      SSL* ssl = SSL_new(ctx_);
      SSL_set_fd(ssl, fd);
      int rc = -1;
      for (int i = 0; i < 50 && rc != 1 && !stop_; ++i) {
        rc = SSL_accept(ssl);
        if (rc != 1 && SSL_get_error(ssl, rc) != SSL_ERROR_WANT_READ &&
            SSL_get_error(ssl, rc) != SSL_ERROR_SYSCALL) {
          break;
        }
      }
      if (rc == 1) {
        handshakes_.fetch_add(1);
        SSL_write(ssl, "tls-backend\n", 12);
        char buf[4096];
        while (!stop_) {
          int n = SSL_read(ssl, buf, sizeof buf);
          if (n > 0) {
            SSL_write(ssl, buf, n);
          } else if (SSL_get_error(ssl, n) != SSL_ERROR_WANT_READ &&
                     SSL_get_error(ssl, n) != SSL_ERROR_SYSCALL) {
            break;
          } else if (errno != EAGAIN && errno != EWOULDBLOCK) {
            break;
          }
        }
      }
      SSL_free(ssl);
      close(fd);
    }
  }

  SSL_CTX* ctx_ = nullptr;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> handshakes_{0};
  std::thread thread_;
};

v1::Snapshot BackendTlsSnapshot(int port, const std::string& root_pem,
                                const std::string& server_name) {
  v1::Snapshot s;
  s.set_version("tcp-tls-1");
  auto* cluster = s.add_clusters();
  cluster->set_name("default/secure-db:5432");
  auto* ep = cluster->add_endpoints();
  ep->set_address("127.0.0.1");
  ep->set_port(static_cast<uint32_t>(port));
  auto* transport = s.add_tcp_servers_transports();
  transport->set_name("default/verify");
  transport->mutable_tls()->set_name("default/verify");
  transport->mutable_tls()->set_server_name(server_name);
  transport->mutable_tls()->set_root_cas_pem(root_pem);
  auto* route = s.add_tcp_routes();
  route->set_name("default/secure-db/r0");
  route->mutable_match()->set_any_host(true);
  auto* backend = route->add_backends();
  backend->set_cluster("default/secure-db:5432");
  backend->set_weight(1);
  backend->set_tls(true);
  backend->set_servers_transport("default/verify");
  return s;
}

TEST_CASE("a backend dialled with TLS is verified and gets the client's plaintext", "[l4]") {
  auto pem = dataplane::testing::MakeCertificatePem({.dns_names = {"db.internal"}});
  TlsEchoServer backend(pem);
  testing::ProxyUnderTest proxy(BackendTlsSnapshot(backend.port(), pem.chain, "db.internal"));
  RawClient client(proxy.port());
  REQUIRE(client.ReadUntil("tls-backend\n"));
  client.Send("plain in");
  CHECK(client.ReadUntil("plain in"));
  CHECK(backend.handshakes() == 1);
}

TEST_CASE("a TLS backend whose certificate does not verify is refused", "[l4]") {
  auto pem = dataplane::testing::MakeCertificatePem({.dns_names = {"db.internal"}});
  TlsEchoServer backend(pem);
  testing::ProxyUnderTest proxy(BackendTlsSnapshot(backend.port(), pem.chain, "other.internal"));
  RawClient client(proxy.port());
  std::string got = "?";
  REQUIRE(client.ReadToEof(&got));
  CHECK(got.empty());
}

}  // namespace
}  // namespace portico
