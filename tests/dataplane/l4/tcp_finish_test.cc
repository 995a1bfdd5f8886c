// How a spliced TCP connection ends: the termination delay never costs the
// client bytes already queued for it, and a terminating route's client
// handshake has a deadline.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "dataplane/l4/l4_metrics.h"
#include "tests/dataplane/l4/l4_support.h"
#include "tests/dataplane/support/proxy_under_test.h"
#include "tests/dataplane/tls/test_certificates.h"

namespace portico {
namespace {

using dataplane::ProxyLimits;
using testing::AddCluster;
using testing::AddTcpRoute;
using testing::EchoServer;
using testing::Eventually;
using testing::ProxyUnderTest;
using testing::RawClient;

// Accepts one connection, sends `body`, then closes (a download).
class BodyServer {
 public:
  explicit BodyServer(std::string body) : body_(std::move(body)) {
    listen_fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
    REQUIRE(bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    REQUIRE(listen(listen_fd_, 4) == 0);
    socklen_t len = sizeof addr;
    getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] {
      pollfd p{.fd = listen_fd_, .events = POLLIN, .revents = 0};
      if (poll(&p, 1, 5000) <= 0) return;
      int fd = accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) return;
      size_t at = 0;
      while (at < body_.size()) {
        ssize_t n = send(fd, body_.data() + at, body_.size() - at, MSG_NOSIGNAL);
        if (n <= 0) break;
        at += static_cast<size_t>(n);
      }
      close(fd);
      closed_ = true;
    });
  }
  ~BodyServer() {
    thread_.join();
    close(listen_fd_);
  }
  int port() const { return port_; }
  bool closed() const { return closed_.load(); }

 private:
  std::string body_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> closed_{false};
  std::thread thread_;
};

// A client with a small receive buffer: the proxy must queue what the
// client has not read yet.
int SlowClient(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  int small = 4096;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  REQUIRE(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  timeval tv{.tv_sec = 0, .tv_usec = 200'000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return fd;
}

// Everything until EOF (true) within 5 s.
bool ReadAll(int fd, std::string* got) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  char buf[4096];
  while (std::chrono::steady_clock::now() < deadline) {
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n == 0) return true;
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) return false;
    if (n > 0) got->append(buf, static_cast<size_t>(n));
  }
  return false;
}

// 6 MiB of numbers: more than a client's socket takes unread.
std::string Body() {
  std::string body;
  for (size_t i = 0; body.size() < 6 * 1024 * 1024; ++i) body += std::to_string(i) + ",";
  return body;
}

// Route `route` to `download`, through a transport with a 1 ms
// termination delay.
v1::Snapshot DownloadSnapshot(const BodyServer& download, const std::string& route) {
  v1::Snapshot s;
  s.set_version("tcp-1");
  auto* cluster = s.add_clusters();
  cluster->set_name("default/dl:80");
  auto* ep = cluster->add_endpoints();
  ep->set_address("127.0.0.1");
  ep->set_port(static_cast<uint32_t>(download.port()));
  AddTcpRoute(&s, route, "default/dl:80");
  auto* transport = s.add_tcp_servers_transports();
  transport->set_name("default/quick");
  transport->set_termination_delay_ms(1);
  s.mutable_tcp_routes(0)->mutable_backends(0)->set_servers_transport("default/quick");
  return s;
}

TEST_CASE("the termination delay never drops bytes queued for a slow client", "[l4]") {
  std::string body = Body();
  BodyServer download(body);
  v1::Snapshot s = DownloadSnapshot(download, "default/dl/r0");
  // A high-water mark above the body: the proxy reads all of it at once,
  // and what the client's socket does not take waits in the proxy.
  ProxyLimits limits;
  limits.write_high_water = 16 * 1024 * 1024;
  ProxyUnderTest proxy(s, limits);
  int fd = SlowClient(proxy.port());
  // The backend has sent everything and closed; the proxy reads it all and
  // sees the EOF while megabytes still wait for the client, who has read
  // nothing yet. A proxy that closes on the termination delay does so
  // within 1 ms: give it the chance before reading.
  REQUIRE(Eventually([&] { return download.closed(); }));
  Eventually([&] { return proxy.worker().tcp_connections() == 0; }, 200);
  std::string got;
  CHECK(ReadAll(fd, &got));
  CHECK(got.size() == body.size());
  CHECK((got == body));  // not expanded: megabytes
  close(fd);
  CHECK(Eventually([&] { return proxy.worker().tcp_connections() == 0; }));
}

// A client that reads nothing at all is cut off by the write-stall deadline
// (the idle timeout), and bytes that never left the proxy are not counted
// as sent.
TEST_CASE("a client that stops reading the last bytes is closed by the write stall", "[l4]") {
  std::string body = Body();
  BodyServer download(body);
  ProxyLimits limits;
  limits.write_high_water = 16 * 1024 * 1024;
  limits.idle_timeout_ms = 300;
  ProxyUnderTest proxy(DownloadSnapshot(download, "default/dl/r1"), limits);
  dataplane::L4RouteCounters* counters =
      dataplane::L4Metrics::Process().Route("tcp", "default/dl/r1");
  uint64_t before = counters->bytes_to_client.load();
  int fd = SlowClient(proxy.port());
  REQUIRE(Eventually([&] { return download.closed(); }));
  CHECK(Eventually([&] { return proxy.worker().tcp_connections() == 0; }));
  uint64_t sent = counters->bytes_to_client.load() - before;
  CHECK(sent > 0);
  CHECK(sent < body.size());
  close(fd);
}

TEST_CASE("a client that stalls its TLS handshake is closed by the peek deadline", "[l4]") {
  EchoServer app("127.0.0.1", "app");
  v1::Snapshot s;
  s.set_version("tcp-1");
  AddCluster(&s, "default/app:80", {&app});
  AddTcpRoute(&s, "default/app/r0", "default/app:80", "secure.test");
  s.mutable_tcp_routes(0)->mutable_tls()->set_passthrough(false);
  auto pem = dataplane::testing::MakeCertificatePem({.dns_names = {"secure.test"}});
  auto* cert = s.add_certificates();
  cert->set_name("default/secure");
  cert->set_cert_chain_pem(pem.chain);
  cert->set_private_key_pem(pem.key);
  ProxyLimits limits;
  limits.tcp_peek_timeout_ms = 300;
  ProxyUnderTest proxy(s, limits);
  RawClient client(proxy.port());
  dataplane::testing::TestClient tls({.server_name = "secure.test"});
  client.Send(tls.Step(""));  // the ClientHello, then nothing more
  REQUIRE(Eventually([&] { return app.accepted() == 1; }));
  CHECK(client.ReadToEof());
  CHECK(Eventually([&] { return proxy.worker().tcp_connections() == 0; }));
}

}  // namespace
}  // namespace portico
