#include "tests/dataplane/health/health_support.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

namespace portico::dataplane::testing {
int ListenLoopback(int* port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  ::listen(fd, 64);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  *port = ntohs(addr.sin_port);
  return fd;
}

bool WaitUntil(const std::function<bool()>& done, std::chrono::milliseconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

HealthProber::Publish Publications::Sink() {
  return [this](std::shared_ptr<const HealthStatus> status) {
    Entry e{.status = std::move(status)};
    if (prober_ != nullptr) {
      e.checks = prober_->checks_total();
      e.failures = prober_->failures_total();
    }
    std::lock_guard lock(mu_);
    entries_.push_back(std::move(e));
  };
}

size_t Publications::size() const {
  std::lock_guard lock(mu_);
  return entries_.size();
}

Publications::Entry Publications::at(size_t i) const {
  std::lock_guard lock(mu_);
  return entries_.at(i);
}

Publications::Entry Publications::last() const {
  std::lock_guard lock(mu_);
  return entries_.empty() ? Entry{} : entries_.back();
}

v1::HealthCheck FastCheck(const std::string& path, uint64_t interval_ms) {
  v1::HealthCheck check;
  check.set_path(path);
  check.set_interval_ms(interval_ms);
  check.set_timeout_ms(1000);
  return check;
}

std::string LoopbackEndpoint(int port) { return "127.0.0.1:" + std::to_string(port); }

HealthTarget LoopbackTarget(int port, const v1::HealthCheck& check, const std::string& service) {
  HealthTarget t{
      .service = service, .endpoint = LoopbackEndpoint(port), .address = {}, .check = check};
  auto* in = reinterpret_cast<sockaddr_in*>(&t.address);
  in->sin_family = AF_INET;
  in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  in->sin_port = htons(static_cast<uint16_t>(port));
  return t;
}

int ClosedPort() {
  int port = 0;
  int fd = ListenLoopback(&port);
  ::close(fd);
  return port;
}

SilentListener::SilentListener() { fd_ = ListenLoopback(&port_); }
SilentListener::~SilentListener() { ::close(fd_); }

ResettingBackend::ResettingBackend() {
  fd_ = ListenLoopback(&port_);
  thread_ = std::thread([this] {
    while (!stop_) {
      pollfd p{.fd = fd_, .events = POLLIN, .revents = 0};
      if (::poll(&p, 1, 20) <= 0) continue;
      int conn = ::accept(fd_, nullptr, nullptr);
      if (conn < 0) continue;
      connections_++;
      pollfd c{.fd = conn, .events = POLLIN, .revents = 0};
      ::poll(&c, 1, 200);  // let the request arrive: unread data also makes close send RST
      linger l{.l_onoff = 1, .l_linger = 0};
      setsockopt(conn, SOL_SOCKET, SO_LINGER, &l, sizeof l);
      ::close(conn);
    }
  });
}

ResettingBackend::~ResettingBackend() {
  stop_ = true;
  thread_.join();
  ::close(fd_);
}

std::string Answer(int status, const std::string& extra_headers) {
  return "HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Length: 2\r\n" + extra_headers +
         "\r\nok";
}

}  // namespace portico::dataplane::testing
