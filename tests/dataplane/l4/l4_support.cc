#include "tests/dataplane/l4/l4_support.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>

namespace portico::testing {
namespace {

// As portico-proxy's main: a write to a peer that went away is an error
// return (EPIPE), not a signal. TCP routing writes to closed clients.
[[maybe_unused]] const bool kIgnoreSigpipe = (::signal(SIGPIPE, SIG_IGN), true);

void SetTimeout(int fd, int ms) {
  timeval tv{.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
}

}  // namespace

EchoServer::EchoServer(const std::string& ip, std::string name) : ip_(ip), name_(std::move(name)) {
  listen_fd_ = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  inet_pton(AF_INET, ip.c_str(), &addr.sin_addr);
  REQUIRE(bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(listen(listen_fd_, 64) == 0);
  socklen_t len = sizeof addr;
  getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  acceptor_ = std::thread([this] {
    for (;;) {
      pollfd p{.fd = listen_fd_, .events = POLLIN, .revents = 0};
      if (poll(&p, 1, 20) <= 0) {
        if (stop_) return;
        continue;
      }
      int fd = accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) continue;
      accepted_.fetch_add(1);
      std::lock_guard lock(mu_);
      fds_.push_back(fd);
      servers_.emplace_back([this, fd] { Serve(fd); });
    }
  });
}

EchoServer::~EchoServer() {
  stop_ = true;
  acceptor_.join();
  {
    std::lock_guard lock(mu_);
    for (int fd : fds_) shutdown(fd, SHUT_RDWR);
  }
  for (std::thread& t : servers_) t.join();
  for (int fd : fds_) close(fd);
  close(listen_fd_);
}

void EchoServer::Serve(int fd) {
  std::string banner = name_ + "\n";
  send(fd, banner.data(), banner.size(), MSG_NOSIGNAL);
  char buf[16384];
  for (;;) {
    pollfd p{.fd = fd, .events = POLLIN, .revents = 0};
    if (poll(&p, 1, 20) == 0) {
      if (stop_) break;
      continue;
    }
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n == 0) {
      send(fd, "[eof]", 5, MSG_NOSIGNAL);
      break;
    }
    if (n < 0) break;
    send(fd, buf, static_cast<size_t>(n), MSG_NOSIGNAL);
  }
  shutdown(fd, SHUT_WR);
  finished_.fetch_add(1);
}

RawClient::RawClient(int port) {
  fd_ = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd_);
    fd_ = -1;
    return;
  }
  SetTimeout(fd_, 200);
}

RawClient::~RawClient() { Close(); }

void RawClient::Close() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
}

void RawClient::Send(const std::string& bytes) {
  REQUIRE(send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) ==
          static_cast<ssize_t>(bytes.size()));
}

void RawClient::ShutdownWrite() { shutdown(fd_, SHUT_WR); }

bool RawClient::ReadUntil(const std::string& want) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  char buf[16384];
  while (received_.find(want) == std::string::npos) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    ssize_t n = recv(fd_, buf, sizeof buf, 0);
    if (n == 0) return received_.find(want) != std::string::npos;
    if (n > 0) received_.append(buf, static_cast<size_t>(n));
  }
  return true;
}

std::string RawClient::ReadSome() {
  char buf[16384];
  ssize_t n = recv(fd_, buf, sizeof buf, 0);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}

bool RawClient::ReadToEof(std::string* got) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  char buf[16384];
  for (;;) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    ssize_t n = recv(fd_, buf, sizeof buf, 0);
    if (n == 0 || (n < 0 && errno == ECONNRESET)) {
      if (got != nullptr) *got = received_;
      return true;
    }
    if (n > 0) received_.append(buf, static_cast<size_t>(n));
  }
}

void AddCluster(v1::Snapshot* s, const std::string& name,
                const std::vector<const EchoServer*>& eps) {
  auto* cluster = s->add_clusters();
  cluster->set_name(name);
  for (const EchoServer* e : eps) {
    auto* ep = cluster->add_endpoints();
    ep->set_address(e->ip());
    ep->set_port(static_cast<uint32_t>(e->port()));
  }
}

v1::TcpRoute* AddTcpRoute(v1::Snapshot* s, const std::string& name, const std::string& cluster,
                          const std::string& sni) {
  auto* route = s->add_tcp_routes();
  route->set_name(name);
  route->set_source("IngressRouteTCP/" + name);
  if (sni.empty()) {
    route->mutable_match()->set_any_host(true);
  } else {
    route->mutable_match()->set_host(sni);
    route->add_hosts(sni);
    route->mutable_tls()->set_passthrough(true);
  }
  auto* backend = route->add_backends();
  backend->set_cluster(cluster);
  backend->set_weight(1);
  return route;
}

}  // namespace portico::testing
