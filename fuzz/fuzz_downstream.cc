// The whole downstream request path with the bytes of one client connection:
// a real Worker (head scanner, llhttp, limits, routing, upstream forwarding,
// tunnels) on its own loop thread, and an in-process backend on another.
// Each input is sent on a fresh loopback connection in pieces, the write
// side is shut, and the proxy must then answer and close within a deadline:
// a crash, a sanitizer report or a hang (abort) is a finding.
//
// The first input byte picks the piece size, so that splits of heads,
// chunk sizes and pipelined requests across reads get explored.
#include <arpa/inet.h>
#include <llhttp.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <thread>

#include "dataplane/config/runtime_config.h"
#include "dataplane/net/reuseport_socket.h"
#include "dataplane/worker/worker.h"

namespace {

using portico::dataplane::EntrypointListener;
using portico::dataplane::ProxyLimits;
using portico::dataplane::RuntimeConfig;
using portico::dataplane::Worker;

// --- a minimal backend: 200 "ok" to every request, echo after a 101 -------

struct BackendConn {
  uv_tcp_t tcp;
  llhttp_t parser;
  bool upgrade = false;
  bool tunnel = false;
};

struct WriteReq {
  uv_write_t req;
  std::string data;
};

void BackendWrite(BackendConn* c, std::string data) {
  auto* w = new WriteReq{{}, std::move(data)};
  uv_buf_t buf = uv_buf_init(w->data.data(), static_cast<unsigned>(w->data.size()));
  if (uv_write(&w->req, reinterpret_cast<uv_stream_t*>(&c->tcp), &buf, 1,
               [](uv_write_t* r, int) { delete reinterpret_cast<WriteReq*>(r); }) != 0) {
    delete w;
  }
}

void BackendClose(BackendConn* c) {
  if (uv_is_closing(reinterpret_cast<uv_handle_t*>(&c->tcp))) return;
  uv_close(reinterpret_cast<uv_handle_t*>(&c->tcp),
           [](uv_handle_t* h) { delete static_cast<BackendConn*>(h->data); });
}

const llhttp_settings_t* BackendSettings() {
  static llhttp_settings_t s = [] {
    llhttp_settings_t settings;
    llhttp_settings_init(&settings);
    settings.on_headers_complete = [](llhttp_t* p) {
      static_cast<BackendConn*>(p->data)->upgrade = p->upgrade;
      return 0;
    };
    settings.on_message_complete = [](llhttp_t* p) {
      auto* c = static_cast<BackendConn*>(p->data);
      if (c->upgrade) {
        BackendWrite(c, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\nConnection: Upgrade\r\n\r\n");
        c->tunnel = true;
        return static_cast<int>(HPE_PAUSED);
      }
      BackendWrite(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
      return 0;
    };
    return settings;
  }();
  return &s;
}

void BackendRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
  auto* c = static_cast<BackendConn*>(stream->data);
  if (nread < 0) {
    BackendClose(c);
  } else if (nread > 0) {
    if (c->tunnel) {
      BackendWrite(c, std::string(buf->base, static_cast<size_t>(nread)));
    } else if (llhttp_execute(&c->parser, buf->base, static_cast<size_t>(nread)) != HPE_OK &&
               !c->tunnel) {
      // The proxy must only ever send well-formed requests.
      std::fprintf(stderr, "backend got a malformed request: %s\n",
                   llhttp_get_error_reason(&c->parser));
      std::abort();
    }
  }
  delete[] buf->base;
}

void BackendAccept(uv_stream_t* server, int status) {
  if (status != 0) return;
  auto* c = new BackendConn;
  uv_tcp_init(server->loop, &c->tcp);
  c->tcp.data = c;
  if (uv_accept(server, reinterpret_cast<uv_stream_t*>(&c->tcp)) != 0) {
    BackendClose(c);
    return;
  }
  llhttp_init(&c->parser, HTTP_REQUEST, BackendSettings());
  c->parser.data = c;
  uv_read_start(
      reinterpret_cast<uv_stream_t*>(&c->tcp),
      [](uv_handle_t*, size_t, uv_buf_t* b) { *b = uv_buf_init(new char[65536], 65536); },
      &BackendRead);
}

// --- the fixture, built once ----------------------------------------------

struct Fixture {
  uv_loop_t backend_loop;
  uv_tcp_t backend_listener;
  int backend_port = 0;
  std::thread backend_thread;
  std::unique_ptr<Worker> worker;
  portico::dataplane::RequestCounters counters;
  portico::dataplane::ConnectionGauge connections;
  int proxy_port = 0;

  Fixture() {
    uv_loop_init(&backend_loop);
    uv_tcp_init(&backend_loop, &backend_listener);
    sockaddr_in addr{};
    uv_ip4_addr("127.0.0.1", 0, &addr);
    uv_tcp_bind(&backend_listener, reinterpret_cast<sockaddr*>(&addr), 0);
    uv_listen(reinterpret_cast<uv_stream_t*>(&backend_listener), 128, &BackendAccept);
    int len = sizeof addr;
    uv_tcp_getsockname(&backend_listener, reinterpret_cast<sockaddr*>(&addr), &len);
    backend_port = ntohs(addr.sin_port);
    backend_thread = std::thread([this] { uv_run(&backend_loop, UV_RUN_DEFAULT); });

    std::vector<int> fds;
    if (!portico::dataplane::OpenReusePortListeners("127.0.0.1", 0, 1, &fds, &proxy_port)
             .empty()) {
      std::abort();
    }
    ProxyLimits limits;
    limits.max_header_bytes = 2048;
    limits.max_headers = 20;
    limits.max_uri_bytes = 512;
    limits.header_timeout_ms = 1000;
    limits.response_timeout_ms = 1000;
    limits.connect_timeout_ms = 500;
    limits.tunnel_idle_timeout_ms = 1000;
    std::vector<EntrypointListener> listeners;
    listeners.push_back({.spec = {"web", "127.0.0.1", proxy_port},
                         .fd = fds[0],
                         .port_text = std::to_string(proxy_port),
                         .counters = &counters,
                         .connections = &connections});
    listeners[0].spec.trusted_ips.Parse("127.0.0.2/32");
    worker = std::make_unique<Worker>(0, limits, std::move(listeners));
    std::string error;
    auto config = RuntimeConfig::Build(Snapshot(), &error);
    if (config == nullptr) std::abort();
    worker->PostConfig(config);
    worker->Start();
  }

  // app.test → the backend; down.test → a refused port; orphan.test → no
  // cluster; empty.test → no endpoint.
  portico::v1::Snapshot Snapshot() const {
    portico::v1::Snapshot s;
    s.set_version("fuzz");
    auto add_cluster = [&s](const std::string& name, const std::string& ip, int port) {
      auto* c = s.add_clusters();
      c->set_name(name);
      if (port == 0) return;
      auto* ep = c->add_endpoints();
      ep->set_address(ip);
      ep->set_port(static_cast<uint32_t>(port));
    };
    add_cluster("default/app:http", "127.0.0.1", backend_port);
    add_cluster("default/down:http", "127.0.0.1", 1);
    add_cluster("default/empty:http", "", 0);
    auto add_route = [&s](const std::string& host, const std::string& path,
                          const std::string& cluster) {
      auto* r = s.add_routes();
      r->set_name(host + path);
      r->set_host(host);
      r->mutable_path()->set_path(path);
      r->set_cluster(cluster);
    };
    add_route("app.test", "/", "default/app:http");
    add_route("", "/any", "default/app:http");
    add_route("down.test", "/", "default/down:http");
    add_route("empty.test", "/", "default/empty:http");
    add_route("orphan.test", "/", "");
    return s;
  }
};

Fixture& TheFixture() {
  static Fixture* fixture = new Fixture;  // lives for the process
  return *fixture;
}

// connect(2) that survives signals: an interrupted connect goes on in the
// background, so wait for it to finish and read its result.
bool ConnectRetryingSignals(int fd, const sockaddr_in& addr) {
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0) return true;
  if (errno != EINTR) return false;
  for (;;) {
    pollfd p{.fd = fd, .events = POLLOUT, .revents = 0};
    int ready = ::poll(&p, 1, 5000);
    if (ready < 0 && errno == EINTR) continue;
    if (ready == 0) {
      errno = ETIMEDOUT;
      return false;
    }
    int error = 0;
    socklen_t len = sizeof error;
    if (ready < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len) != 0) return false;
    errno = error;
    return error == 0;
  }
}

// Whether the proxy answers a plain GET on a new connection within 2 s.
bool ProxyAnswers(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  timeval tv{.tv_sec = 2, .tv_usec = 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  static const char kRequest[] = "GET / HTTP/1.1\r\nHost: app.test\r\nConnection: close\r\n\r\n";
  char buf[16];
  bool answered = ConnectRetryingSignals(fd, addr) &&
                  ::send(fd, kRequest, sizeof kRequest - 1, MSG_NOSIGNAL) > 0;
  if (answered) {
    ssize_t n;
    do n = ::recv(fd, buf, sizeof buf, 0);
    while (n < 0 && errno == EINTR);
    answered = n > 0;
  }
  ::close(fd);
  return answered;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  Fixture& f = TheFixture();
  size_t piece = 1 + (data[0] % 64) * 16;
  ++data;
  --size;

  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  // Each input connects from another loopback source address: the proxy
  // closes first, and its TIME_WAIT sockets would exhaust the ephemeral
  // ports of a single source address within a minute of fuzzing.
  static uint32_t connection = 0;
  ++connection;
  sockaddr_in source{};
  source.sin_family = AF_INET;
  source.sin_addr.s_addr =
      htonl((127u << 24) | (100u << 16) | ((connection / 250 % 250) << 8) | (connection % 250 + 1));
  ::bind(fd, reinterpret_cast<sockaddr*>(&source), sizeof source);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(f.proxy_port));
  inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  // libFuzzer's SIGALRM (its -timeout watchdog) interrupts blocking calls:
  // EINTR is retried everywhere below, never taken for an answer.
  if (!ConnectRetryingSignals(fd, addr)) {
    std::fprintf(stderr, "cannot connect to the proxy: %s\n", std::strerror(errno));
    std::abort();
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  for (size_t off = 0; off < size;) {
    ssize_t n = ::send(fd, data + off, std::min(piece, size - off), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;  // the proxy may close early
    off += static_cast<size_t>(n);
  }
  ::shutdown(fd, SHUT_WR);
  // The proxy answers what it can, then closes: every request either gets a
  // response or the connection ends, within the deadline.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  char buf[65536];
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd p{.fd = fd, .events = POLLIN, .revents = 0};
    int ready = left.count() > 0 ? ::poll(&p, 1, static_cast<int>(left.count())) : 0;
    if (ready < 0 && errno == EINTR) continue;
    if (ready == 0) {
      // Tell a stuck worker from a forgotten connection before failing.
      std::fprintf(stderr,
                   "the proxy neither answered nor closed within 5 s (piece size %zu, %zu "
                   "bytes, connection %u); a fresh GET %s\n",
                   piece, size, connection,
                   ProxyAnswers(f.proxy_port) ? "is answered: this connection was forgotten"
                                              : "is not answered either: the worker is stuck");
      std::abort();
    }
    ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) continue;
    if (n <= 0) break;  // the end, or a reset: also an end
  }
  ::close(fd);
  return 0;
}
