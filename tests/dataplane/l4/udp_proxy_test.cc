// UDP routing against a real worker: loopback UDP backends that answer
// "<name>:<datagram>", sessions per client address, idle timeout, limits.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <memory>
#include <thread>

#include "dataplane/config/runtime_config.h"
#include "dataplane/l4/l4_metrics.h"
#include "dataplane/net/reuseport_socket.h"
#include "dataplane/worker/worker.h"
#include "tests/dataplane/l4/l4_support.h"

namespace portico {
namespace {

using dataplane::L4Metrics;
using testing::Eventually;

int UdpSocket(const std::string& ip, int* port) {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  inet_pton(AF_INET, ip.c_str(), &addr.sin_addr);
  REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  *port = ntohs(addr.sin_port);
  timeval tv{.tv_sec = 0, .tv_usec = 300'000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return fd;
}

// Answers every datagram with "<name>:<datagram>".
class UdpEcho {
 public:
  UdpEcho(const std::string& ip, std::string name) : ip_(ip), name_(std::move(name)) {
    fd_ = UdpSocket(ip, &port_);
    thread_ = std::thread([this] {
      char buf[2048];
      while (!stop_) {
        pollfd p{.fd = fd_, .events = POLLIN, .revents = 0};
        if (poll(&p, 1, 20) <= 0) continue;
        sockaddr_storage from{};
        socklen_t len = sizeof from;
        ssize_t n = recvfrom(fd_, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &len);
        if (n < 0) continue;
        std::string answer = name_ + ":" + std::string(buf, static_cast<size_t>(n));
        sendto(fd_, answer.data(), answer.size(), 0, reinterpret_cast<sockaddr*>(&from), len);
      }
    });
  }
  ~UdpEcho() {
    stop_ = true;
    thread_.join();
    close(fd_);
  }
  int port() const { return port_; }
  const std::string& ip() const { return ip_; }

 private:
  std::string ip_;
  std::string name_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// A client socket on its own port: one UDP session.
class UdpClient {
 public:
  explicit UdpClient(int proxy_port) : proxy_port_(proxy_port) {
    int port = 0;
    fd_ = UdpSocket("127.0.0.1", &port);
  }
  ~UdpClient() { close(fd_); }
  // Sends `datagram` until an answer arrives (datagrams may be lost) or 5 s pass.
  std::string Ask(const std::string& datagram, int tries = 15) {
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(static_cast<uint16_t>(proxy_port_));
    inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
    for (int i = 0; i < tries; ++i) {
      sendto(fd_, datagram.data(), datagram.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
      char buf[2048];
      ssize_t n = recv(fd_, buf, sizeof buf, 0);
      if (n >= 0) return std::string(buf, static_cast<size_t>(n));
    }
    return "";
  }

 private:
  int proxy_port_;
  int fd_ = -1;
};

struct UdpProxy {
  UdpProxy(const v1::Snapshot& snapshot, dataplane::ProxyLimits limits) {
    std::vector<int> fds;
    REQUIRE(dataplane::OpenReusePortListeners("127.0.0.1", 0, 1, &fds, &port, SOCK_DGRAM) == "");
    dataplane::EntrypointSpec spec{.name = "dns", .host = "127.0.0.1", .port = port};
    spec.udp = true;
    std::vector<dataplane::EntrypointListener> listeners;
    listeners.push_back({.spec = spec,
                         .fd = fds[0],
                         .port_text = std::to_string(port),
                         .counters = &counters,
                         .connections = &gauge});
    worker = std::make_unique<dataplane::Worker>(0, limits, std::move(listeners));
    std::string error;
    worker->PostConfig(dataplane::RuntimeConfig::Build(snapshot, &error));
    REQUIRE(error == "");
    worker->Start();
  }
  ~UdpProxy() {
    worker->Stop(100);
    worker->Join();
  }
  int port = 0;
  dataplane::RequestCounters counters;
  dataplane::ConnectionGauge gauge;
  std::unique_ptr<dataplane::Worker> worker;
};

v1::Snapshot UdpSnapshot(const std::vector<const UdpEcho*>& backends, const std::string& route) {
  v1::Snapshot s;
  s.set_version("udp-1");
  auto* r = s.add_udp_routes();
  r->set_name(route);
  r->add_entrypoints("dns");
  for (size_t i = 0; i < backends.size(); ++i) {
    auto* c = s.add_clusters();
    c->set_name("default/dns-" + std::to_string(i) + ":53");
    auto* ep = c->add_endpoints();
    ep->set_address(backends[i]->ip());
    ep->set_port(static_cast<uint32_t>(backends[i]->port()));
    auto* b = r->add_backends();
    b->set_cluster(c->name());
    b->set_weight(1);
  }
  return s;
}

TEST_CASE("UDP sessions per client address, spread over the backends", "[l4][udp]") {
  UdpEcho a("127.0.0.2", "A");
  UdpEcho b("127.0.0.3", "B");
  dataplane::ProxyLimits limits;
  UdpProxy proxy(UdpSnapshot({&a, &b}, "default/dns-spread"), limits);
  UdpClient first(proxy.port);
  UdpClient second(proxy.port);
  CHECK(first.Ask("q1") == "A:q1");
  CHECK(second.Ask("q2") == "B:q2");
  CHECK(first.Ask("q3") == "A:q3");  // the session keeps its backend
  dataplane::L4RouteCounters* c = L4Metrics::Process().Route("udp", "default/dns-spread");
  CHECK(c->accepted.load() == 2);
  CHECK(c->bytes_from_client.load() >= 6);
}

TEST_CASE("idle UDP sessions close after the UDP timeout", "[l4][udp]") {
  UdpEcho a("127.0.0.2", "A");
  dataplane::ProxyLimits limits;
  limits.udp_timeout_ms = 150;
  UdpProxy proxy(UdpSnapshot({&a}, "default/dns-idle"), limits);
  std::atomic<int64_t>* open = L4Metrics::Process().OpenConnections("udp", "dns");
  int64_t before = open->load();
  UdpClient client(proxy.port);
  CHECK(client.Ask("hello") == "A:hello");
  CHECK(open->load() == before + 1);
  CHECK(Eventually([&] { return open->load() == before; }));
  CHECK(client.Ask("again") == "A:again");  // a new session
  CHECK(L4Metrics::Process().Route("udp", "default/dns-idle")->accepted.load() == 2);
}

TEST_CASE("UDP sessions beyond the limit are dropped", "[l4][udp]") {
  UdpEcho a("127.0.0.2", "A");
  dataplane::ProxyLimits limits;
  limits.udp_max_sessions = 1;
  UdpProxy proxy(UdpSnapshot({&a}, "default/dns-full"), limits);
  UdpClient first(proxy.port);
  UdpClient second(proxy.port);
  CHECK(first.Ask("one") == "A:one");
  CHECK(second.Ask("two", 3) == "");
  CHECK(L4Metrics::Process().Route("udp", "default/dns-full")->refused.load() >= 1);
}

TEST_CASE("a UDP route with an unknown cluster is refused", "[l4][udp]") {
  v1::Snapshot s;
  s.set_version("udp-1");
  auto* r = s.add_udp_routes();
  r->set_name("default/dns");
  r->add_backends()->set_cluster("default/none:53");
  std::string error;
  CHECK(dataplane::RuntimeConfig::Build(s, &error) == nullptr);
  CHECK(error == "UDP route default/dns: unknown cluster default/none:53");
}

}  // namespace
}  // namespace portico

namespace portico {
namespace {

TEST_CASE("a UDP session whose endpoint refuses datagrams is closed", "[l4][udp]") {
  int closed_port = 0;
  close(UdpSocket("127.0.0.2", &closed_port));  // nothing listens there: ICMP port unreachable
  v1::Snapshot s;
  s.set_version("udp-1");
  auto* c = s.add_clusters();
  c->set_name("default/gone:53");
  auto* ep = c->add_endpoints();
  ep->set_address("127.0.0.2");
  ep->set_port(static_cast<uint32_t>(closed_port));
  auto* r = s.add_udp_routes();
  r->set_name("default/dns-gone");
  r->add_entrypoints("dns");
  auto* b = r->add_backends();
  b->set_cluster(c->name());
  b->set_weight(1);
  dataplane::ProxyLimits limits;
  limits.udp_timeout_ms = 60'000;
  UdpProxy proxy(s, limits);
  std::atomic<int64_t>* open = L4Metrics::Process().OpenConnections("udp", "dns");
  int64_t before = open->load();
  dataplane::L4RouteCounters* counters = L4Metrics::Process().Route("udp", "default/dns-gone");
  UdpClient client(proxy.port);
  CHECK(client.Ask("q", 2) == "");
  CHECK(counters->accepted.load() >= 1);
  // Well before the UDP timeout: the refusal ended the session.
  CHECK(Eventually([&] { return open->load() == before; }));
}

}  // namespace
}  // namespace portico

namespace portico {
namespace {

TEST_CASE("a config that drops a session's endpoint closes the session", "[l4][udp]") {
  UdpEcho a("127.0.0.2", "A");
  UdpEcho b("127.0.0.3", "B");
  dataplane::ProxyLimits limits;
  limits.udp_timeout_ms = 60'000;
  UdpProxy proxy(UdpSnapshot({&a}, "default/dns-moved"), limits);
  std::atomic<int64_t>* open = L4Metrics::Process().OpenConnections("udp", "dns");
  int64_t before = open->load();
  UdpClient client(proxy.port);
  CHECK(client.Ask("one") == "A:one");
  CHECK(open->load() == before + 1);
  // The same cluster, now with B's endpoint only.
  v1::Snapshot next = UdpSnapshot({&b}, "default/dns-moved");
  next.set_version("udp-2");
  std::string error;
  proxy.worker->PostConfig(dataplane::RuntimeConfig::Build(next, &error));
  REQUIRE(error.empty());
  CHECK(Eventually([&] { return open->load() == before; }));
  CHECK(client.Ask("two") == "B:two");
}

}  // namespace
}  // namespace portico
