// Scenarios for the HTTP/1.1 behaviours beyond plain request/response:
// upgrades, trailers, 100-continue, forwarded headers from trusted peers,
// connection limits and timeouts.
#include <catch2/catch.hpp>

#include <chrono>
#include <thread>

#include "tests/dataplane/support/fake_backend.h"
#include "tests/dataplane/support/proxy_under_test.h"

namespace portico::dataplane {
namespace {

using testing::AppSnapshot;
using testing::Answer;
using testing::FakeBackend;
using testing::Get;
using testing::OkResponse;
using testing::ProxyUnderTest;
using testing::TestClient;

const char kUpgradeRequest[] =
    "GET /chat HTTP/1.1\r\nHost: app.test\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";

FakeBackend::Handler SwitchProtocols() {
  return [](const testing::ReceivedRequest& req) -> std::string {
    if (req.head.find("Upgrade: websocket\r\n") == std::string::npos) return OkResponse("plain");
    return "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";
  };
}

TEST_CASE("an upgrade answered with 101 becomes a tunnel both ways", "[proxy][upgrade]") {
  FakeBackend backend("127.0.0.1", SwitchProtocols());
  ProxyUnderTest proxy(AppSnapshot({{"127.0.0.1", backend.port()}}));
  TestClient client(proxy.port());
  client.Send(kUpgradeRequest);
  std::string head = client.ReadBytes(1);
  while (head.find("\r\n\r\n") == std::string::npos) {
    std::string more = client.ReadBytes(1);
    if (more.empty()) break;
    head += more;
  }
  REQUIRE(head.starts_with("HTTP/1.1 101 Switching Protocols\r\n"));
  CHECK(head.find("Upgrade: websocket\r\n") != std::string::npos);
  CHECK(head.find("Connection: Upgrade\r\n") != std::string::npos);
  CHECK(head.find("Sec-WebSocket-Accept:") != std::string::npos);
  auto requests = backend.requests();
  REQUIRE(requests.size() == 1);
  CHECK(requests[0].head.find("Upgrade: websocket\r\n") != std::string::npos);
  CHECK(requests[0].head.find("Connection: Upgrade\r\n") != std::string::npos);

  // Arbitrary bytes, including ones that look like HTTP, pass untouched.
  std::string after_head = head.substr(head.find("\r\n\r\n") + 4);
  client.Send("GET / HTTP/1.1\r\n\r\n\x01\x02");
  std::string echoed = after_head + client.ReadBytes(5 + 20 - after_head.size());
  CHECK(echoed == std::string("echo:GET / HTTP/1.1\r\n\r\n\x01\x02"));
  client.Send("again");
  CHECK(client.ReadBytes(10) == "echo:again");
}

TEST_CASE("a client half-close passes through the tunnel, the answer still arrives",
          "[proxy][upgrade]") {
  FakeBackend backend("127.0.0.1", SwitchProtocols());
  ProxyUnderTest proxy(AppSnapshot({{"127.0.0.1", backend.port()}}));
  TestClient client(proxy.port());
  // Early data and FIN before the 101 has even arrived.
  client.Send(std::string(kUpgradeRequest) + "bye");
  client.ShutdownWrite();
  std::string all = client.ReadBytes(1 << 20);  // until the proxy closes
  CHECK(all.starts_with("HTTP/1.1 101 "));
  CHECK(all.ends_with("\r\n\r\necho:bye"));
}

TEST_CASE("an upgrade the backend declines is an ordinary response, then a close",
          "[proxy][upgrade]") {
  FakeBackend backend("127.0.0.1", Answer("no upgrade here"));
  ProxyUnderTest proxy(AppSnapshot({{"127.0.0.1", backend.port()}}));
  TestClient client(proxy.port());
  client.Send(kUpgradeRequest);
  auto r = client.Read(1);
  REQUIRE(r.size() == 1);
  CHECK(r[0].status == 200);
  CHECK(r[0].body == "no upgrade here");
  CHECK_FALSE(r[0].keep_alive);
  CHECK(client.ClosedByPeer());
}

TEST_CASE("a 101 nobody asked for is a bad response (502)", "[proxy][upgrade]") {
  FakeBackend backend("127.0.0.1", [](const testing::ReceivedRequest&) {
    return std::string("HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n");
  });
  ProxyUnderTest proxy(AppSnapshot({{"127.0.0.1", backend.port()}}));
  TestClient client(proxy.port());
  client.Send(Get("app.test"));
  auto r = client.Read(1);
  REQUIRE(r.size() == 1);
  CHECK(r[0].status == 502);
}

TEST_CASE("an idle tunnel is closed after the tunnel idle timeout", "[proxy][upgrade]") {
  FakeBackend backend("127.0.0.1", SwitchProtocols());
  ProxyLimits limits;
  limits.tunnel_idle_timeout_ms = 200;
  ProxyUnderTest proxy(AppSnapshot({{"127.0.0.1", backend.port()}}), limits);
  TestClient client(proxy.port());
  client.Send(kUpgradeRequest);
  std::string head = client.ReadBytes(1);
  REQUIRE(head.starts_with("H"));
  // Traffic keeps it open past one timeout...
  for (int i = 0; i < 3; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    client.Send("x");
    std::string echo;
    while (echo.find("echo:x") == std::string::npos) {
      std::string more = client.ReadBytes(1);
      REQUIRE_FALSE(more.empty());
      echo += more;
    }
  }
  // ...silence closes it.
  auto start = std::chrono::steady_clock::now();
  CHECK(client.ClosedByPeer());
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(3));
}

TEST_CASE("trailers pass through chunked bodies in both directions", "[proxy][trailers]") {
  FakeBackend backend("127.0.0.1", [](const testing::ReceivedRequest& req) {
    return "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Checksum\r\n\r\n"
           "4\r\nbody\r\n0\r\nX-Checksum: 42\r\nConnection: x\r\n\r\n" +
           std::string(req.trailers.empty() ? "" : "");
  });
  ProxyUnderTest proxy(AppSnapshot({{"127.0.0.1", backend.port()}}));
  TestClient client(proxy.port());
  client.Send(
      "POST / HTTP/1.1\r\nHost: app.test\r\nTransfer-Encoding: chunked\r\nTrailer: X-Sig\r\n\r\n"
      "3\r\nabc\r\n0\r\nX-Sig: s1\r\nHost: evil.test\r\n\r\n");
  auto r = client.Read(1);
  REQUIRE(r.size() == 1);
  CHECK(r[0].body == "body");
  CHECK(r[0].Header("X-Checksum") == "42");
  CHECK(r[0].Header("Connection").empty());
  auto requests = backend.requests();
  REQUIRE(requests.size() == 1);
  CHECK(requests[0].body == "abc");
  CHECK(requests[0].trailers == "X-Sig: s1\r\n");
}

TEST_CASE("Expect: 100-continue", "[proxy][expect]") {
  FakeBackend backend("127.0.0.1", [](const testing::ReceivedRequest& req) {
    return OkResponse("got " + req.body);
  });
  ProxyUnderTest proxy(AppSnapshot({{"127.0.0.1", backend.port()}}));

  SECTION("the backend's 100 reaches the client before it sends the body") {
    FakeBackend continuing("127.0.0.1", [](const testing::ReceivedRequest& req) {
      return OkResponse("got " + req.body);
    });
    TestClient client(proxy.port());
    client.Send(
        "POST / HTTP/1.1\r\nHost: app.test\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n");
    // The fake backend answers only after the body: the proxy forwards the
    // head at once, so the body sent now completes the exchange.
    client.Send("data");
    auto r = client.Read(1);
    REQUIRE(r.size() == 1);
    CHECK(r[0].body == "got data");
    REQUIRE(backend.requests().size() == 1);
    CHECK(backend.requests()[0].head.find("Expect: 100-continue") != std::string::npos);
  }
  SECTION("a local answer to a client waiting for 100 closes the connection") {
    TestClient client(proxy.port());
    client.Send(
        "POST / HTTP/1.1\r\nHost: nowhere.test\r\nContent-Length: 4\r\nExpect: "
        "100-continue\r\n\r\n");
    auto r = client.Read(1);
    REQUIRE(r.size() == 1);
    CHECK(r[0].status == 404);
    CHECK_FALSE(r[0].keep_alive);
    CHECK(client.ClosedByPeer());
  }
}

TEST_CASE("interim 1xx responses are relayed or dropped, then the final one", "[proxy][expect]") {
  FakeBackend backend("127.0.0.1", [](const testing::ReceivedRequest&) {
    return "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n" +
           OkResponse("final");
  });
  ProxyUnderTest proxy(AppSnapshot({{"127.0.0.1", backend.port()}}));
  TestClient client(proxy.port());
  client.Send(Get("app.test") + Get("app.test"));
  auto r = client.Read(4);
  // 100 Continue is relayed (the client parses it as a response of its own).
  REQUIRE(r.size() == 4);
  CHECK(r[0].status == 100);
  CHECK(r[1].status == 200);
  CHECK(r[1].body == "final");
  CHECK(r[2].status == 100);
  CHECK(r[3].body == "final");
}

TEST_CASE("204 and 304 have no body even when the backend announces one", "[proxy][framing]") {
  FakeBackend backend("127.0.0.1", [](const testing::ReceivedRequest& req) -> std::string {
    if (req.head.starts_with("GET /204")) return "HTTP/1.1 204 No Content\r\nX-A: 1\r\n\r\n";
    if (req.head.starts_with("GET /304")) {
      return "HTTP/1.1 304 Not Modified\r\nETag: \"v1\"\r\nContent-Length: 120\r\n\r\n";
    }
    return OkResponse("after");
  });
  ProxyUnderTest proxy(AppSnapshot({{"127.0.0.1", backend.port()}}));
  TestClient client(proxy.port());
  client.Send(Get("app.test", "/204") + Get("app.test", "/304") + Get("app.test", "/next"));
  // Read raw: a 304 with Content-Length must not be followed by a body.
  std::string raw;
  while (raw.find("after") == std::string::npos) {
    std::string more = client.ReadBytes(1);
    INFO(raw);
    REQUIRE_FALSE(more.empty());
    raw += more;
  }
  CHECK(raw.starts_with("HTTP/1.1 204 No Content\r\n"));
  size_t not_modified = raw.find("HTTP/1.1 304 Not Modified\r\n");
  size_t ok = raw.find("HTTP/1.1 200 OK\r\n");
  REQUIRE(not_modified != std::string::npos);
  REQUIRE(ok != std::string::npos);
  CHECK(raw.find("Content-Length: 120\r\n") != std::string::npos);  // kept: it describes the entity
  CHECK(raw.find("\r\n\r\n", not_modified) + 4 == ok);              // and nothing in between
  CHECK(raw.find("Transfer-Encoding") == std::string::npos);
  CHECK(backend.connections() == 1);
}

TEST_CASE("a backend's Connection: close is honoured, the client keeps its connection",
          "[proxy][framing]") {
  FakeBackend backend("127.0.0.1", [](const testing::ReceivedRequest&) {
    return OkResponse("once", "Connection: close\r\n");
  });
  ProxyUnderTest proxy(AppSnapshot({{"127.0.0.1", backend.port()}}));
  TestClient client(proxy.port());
  for (int i = 0; i < 3; ++i) {
    client.Send(Get("app.test"));
    auto r = client.Read(1);
    REQUIRE(r.size() == 1);
    CHECK(r[0].body == "once");
    CHECK(r[0].keep_alive);                       // hop-by-hop: not passed on
    CHECK(r[0].Header("Connection").empty());
  }
  CHECK(backend.connections() == 3);  // a fresh upstream connection each time
}

TEST_CASE("passive health: a backend that keeps failing is taken out of rotation",
          "[proxy][passive_health]") {
  FakeBackend good("127.0.0.2", Answer("good"));
  FakeBackend bad("127.0.0.3", [](const testing::ReceivedRequest&) {
    return std::string("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n");
  });
  ProxyUnderTest proxy(
      AppSnapshot({{"127.0.0.2", good.port()}, {"127.0.0.3", bad.port()}}));
  TestClient client(proxy.port());
  int errors = 0;
  std::string last_ten;
  for (int i = 0; i < 30; ++i) {
    client.Send(Get("app.test"));
    auto r = client.Read(1);
    REQUIRE(r.size() == 1);
    if (r[0].status == 503) ++errors;
    if (i >= 20) last_ten += r[0].body == "good" ? 'g' : 'b';
  }
  CHECK(errors == 5);  // five in a row eject it (every other request went there)
  CHECK(last_ten == "gggggggggg");
  CHECK(bad.requests().size() == 5);
}

TEST_CASE("forwarded headers are kept only from trusted peers", "[proxy][forwarded]") {
  const std::string request =
      "GET / HTTP/1.1\r\nHost: app.test\r\nX-Forwarded-For: 203.0.113.7\r\n"
      "X-Forwarded-Proto: https\r\nX-Real-Ip: 203.0.113.7\r\nForwarded: for=203.0.113.7\r\n\r\n";
  FakeBackend backend("127.0.0.1", Answer("ok"));
  SECTION("trusted") {
    EntrypointSpec spec{"web", "127.0.0.1", 0};
    REQUIRE(spec.trusted_ips.Parse("10.0.0.0/8, 127.0.0.0/8").empty());
    ProxyUnderTest proxy(AppSnapshot({{"127.0.0.1", backend.port()}}), {}, spec);
    TestClient client(proxy.port());
    client.Send(request);
    REQUIRE(client.Read(1).size() == 1);
    const std::string head = backend.requests().at(0).head;
    CHECK(head.find("X-Forwarded-For: 203.0.113.7, 127.0.0.1\r\n") != std::string::npos);
    CHECK(head.find("X-Forwarded-Proto: https\r\n") != std::string::npos);
    CHECK(head.find("X-Forwarded-Proto: http\r\n") == std::string::npos);
    CHECK(head.find("X-Real-Ip: 203.0.113.7\r\n") != std::string::npos);
    CHECK(head.find("Forwarded: for=203.0.113.7\r\n") != std::string::npos);
  }
  SECTION("untrusted") {
    EntrypointSpec spec{"web", "127.0.0.1", 0};
    REQUIRE(spec.trusted_ips.Parse("10.0.0.0/8").empty());
    ProxyUnderTest proxy(AppSnapshot({{"127.0.0.1", backend.port()}}), {}, spec);
    TestClient client(proxy.port());
    client.Send(request);
    REQUIRE(client.Read(1).size() == 1);
    const std::string head = backend.requests().at(0).head;
    CHECK(head.find("203.0.113.7") == std::string::npos);
    CHECK(head.find("X-Forwarded-For: 127.0.0.1\r\n") != std::string::npos);
    CHECK(head.find("X-Forwarded-Proto: http\r\n") != std::string::npos);
    CHECK(head.find("X-Real-Ip: 127.0.0.1\r\n") != std::string::npos);
    CHECK(head.find("Forwarded:") == std::string::npos);
  }
}

TEST_CASE("connections over --max-connections are closed at once", "[proxy][limits]") {
  FakeBackend backend("127.0.0.1", Answer("ok"));
  EntrypointSpec spec{"web", "127.0.0.1", 0};
  spec.max_connections = 2;
  ProxyUnderTest proxy(AppSnapshot({{"127.0.0.1", backend.port()}}), {}, spec);
  TestClient a(proxy.port());
  TestClient b(proxy.port());
  for (TestClient* c : {&a, &b}) {  // both accepted and served
    c->Send(Get("app.test"));
    REQUIRE(c->Read(1).size() == 1);
  }
  TestClient c(proxy.port());
  CHECK(c.ClosedByPeer());
  CHECK(proxy.counters().refused_connections() == 1);
  // The refused connection gives its slot back when its handles have closed.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (proxy.open_connections() != 2 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  CHECK(proxy.open_connections() == 2);
  a.Send(Get("app.test"));  // the others are untouched
  CHECK(a.Read(1).size() == 1);
}

TEST_CASE("timeouts: 408 for a slow head, 504 for a silent backend", "[proxy][timeouts]") {
  FakeBackend silent("127.0.0.1", [](const testing::ReceivedRequest&) {
    std::this_thread::sleep_for(std::chrono::milliseconds(600));
    return OkResponse("late");
  });
  ProxyLimits limits;
  limits.header_timeout_ms = 150;
  limits.response_timeout_ms = 150;
  ProxyUnderTest proxy(AppSnapshot({{"127.0.0.1", silent.port()}}), limits);
  TestClient slow(proxy.port());
  slow.Send("GET / HTTP/1.1\r\nHost: app");  // and nothing more
  auto r = slow.Read(1);
  REQUIRE(r.size() == 1);
  CHECK(r[0].status == 408);
  CHECK(slow.ClosedByPeer());

  TestClient waiting(proxy.port());
  waiting.Send(Get("app.test"));
  r = waiting.Read(1);
  REQUIRE(r.size() == 1);
  CHECK(r[0].status == 504);
}

TEST_CASE("a client that stops reading is cut off after the idle timeout", "[proxy][timeouts]") {
  const std::string big(32 << 20, 'x');  // more than loopback's socket buffers hold
  FakeBackend backend("127.0.0.1", [&big](const testing::ReceivedRequest& req) {
    return OkResponse(req.head.starts_with("GET /big") ? big : "ok");
  });
  ProxyLimits limits;
  limits.idle_timeout_ms = 300;
  ProxyUnderTest proxy(AppSnapshot({{"127.0.0.1", backend.port()}}), limits);
  TestClient slow(proxy.port());
  slow.Send(Get("app.test", "/big"));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  TestClient other(proxy.port());  // served while the slow one stalls
  other.Send(Get("app.test"));
  auto r = other.Read(1);
  REQUIRE(r.size() == 1);
  CHECK(r[0].body == "ok");
  // The proxy closes the stalled connection (and the idle one): wait for it
  // with a deadline, not a fixed sleep, so that slow builds pass too.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (proxy.open_connections() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  CHECK(proxy.open_connections() == 0);
  // Now drain what was buffered: the connection ends well short of the body.
  std::string received = slow.ReadBytes(big.size() + 1024);
  CHECK(received.size() < big.size());
}

}  // namespace
}  // namespace portico::dataplane
