// Scenarios against a real Worker on its own loop thread: fake backends,
// a snapshot, raw requests, and the exact responses expected.
#include <catch2/catch.hpp>

#include <memory>

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

TEST_CASE("keep-alive on both sides reuses the upstream connection", "[proxy]") {
  FakeBackend backend("127.0.0.1", Answer("hello"));
  ProxyUnderTest proxy(AppSnapshot({{"127.0.0.1", backend.port()}}));
  TestClient client(proxy.port());
  for (int i = 0; i < 3; ++i) {
    client.Send(Get("app.test"));
    auto responses = client.Read(1);
    REQUIRE(responses.size() == 1);
    CHECK(responses[0].status == 200);
    CHECK(responses[0].body == "hello");
    CHECK(responses[0].keep_alive);
  }
  CHECK(backend.connections() == 1);
  CHECK(proxy.counters().Get(200) == 3);
}

TEST_CASE("round robin spreads requests over every endpoint", "[proxy]") {
  FakeBackend a("127.0.0.2", Answer("a"));
  FakeBackend b("127.0.0.3", Answer("b"));
  ProxyUnderTest proxy(AppSnapshot({{"127.0.0.2", a.port()}, {"127.0.0.3", b.port()}}));
  TestClient client(proxy.port());
  std::string seen;
  for (int i = 0; i < 4; ++i) {
    client.Send(Get("app.test"));
    auto r = client.Read(1);
    REQUIRE(r.size() == 1);
    seen += r[0].body;
  }
  CHECK(seen == "abab");
}

TEST_CASE("local answers: 404 no route, 503 no backend or endpoint, 502 refused", "[proxy]") {
  FakeBackend backend("127.0.0.1", Answer("x"));
  int closed_port = backend.port();
  v1::Snapshot snapshot = AppSnapshot({{"127.0.0.1", backend.port()}});
  ProxyUnderTest proxy(snapshot);
  TestClient client(proxy.port());
  client.Send(Get("nowhere.test"));
  auto r = client.Read(1);
  REQUIRE(r.size() == 1);
  CHECK(r[0].status == 404);
  CHECK(r[0].body == "no route matches this request\n");
  client.Send(Get("orphan.test"));
  r = client.Read(1);
  REQUIRE(r.size() == 1);
  CHECK(r[0].status == 503);
  client.Send(Get("empty.test"));
  r = client.Read(1);
  REQUIRE(r.size() == 1);
  CHECK(r[0].status == 503);
  CHECK(r[0].body == "no endpoint available for this service\n");

  // Nothing listens on 127.0.0.4 at that port: connect is refused.
  proxy.Apply(AppSnapshot({{"127.0.0.4", closed_port}}));
  for (int attempt = 0; attempt < 100; ++attempt) {
    client.Send(Get("app.test"));
    r = client.Read(1);
    REQUIRE(r.size() == 1);
    if (r[0].status == 502) break;  // the worker swaps configs asynchronously
  }
  CHECK(r[0].status == 502);
  CHECK(r[0].body == "cannot connect to the backend\n");
}

TEST_CASE("request bodies are streamed with their framing", "[proxy]") {
  FakeBackend backend("127.0.0.1", [](const testing::ReceivedRequest& req) {
    return OkResponse("got " + std::to_string(req.body.size()));
  });
  ProxyUnderTest proxy(AppSnapshot({{"127.0.0.1", backend.port()}}));
  TestClient client(proxy.port());
  client.Send("POST /upload HTTP/1.1\r\nHost: app.test\r\nContent-Length: 11\r\n\r\nhello world");
  auto r = client.Read(1);
  REQUIRE(r.size() == 1);
  CHECK(r[0].body == "got 11");
  client.Send(
      "POST /upload HTTP/1.1\r\nHost: app.test\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
  r = client.Read(1);
  REQUIRE(r.size() == 1);
  CHECK(r[0].body == "got 11");
  auto requests = backend.requests();
  REQUIRE(requests.size() == 2);
  CHECK(requests[0].body == "hello world");
  CHECK(requests[1].body == "hello world");
  CHECK(requests[1].head.find("Transfer-Encoding: chunked\r\n") != std::string::npos);
}

TEST_CASE("response bodies: chunked, close-delimited, HEAD", "[proxy]") {
  FakeBackend backend("127.0.0.1", [](const testing::ReceivedRequest& req) -> std::string {
    if (req.head.starts_with("HEAD")) return "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n";
    if (req.head.find("/chunked") != std::string::npos) {
      return "HTTP/1.1 200 OK\r\nTransfer-Encoding: "
             "chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n";
    }
    return "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil close";
  });
  ProxyUnderTest proxy(AppSnapshot({{"127.0.0.1", backend.port()}}));
  TestClient client(proxy.port());
  client.Send(Get("app.test", "/chunked"));
  auto r = client.Read(1);
  REQUIRE(r.size() == 1);
  CHECK(r[0].body == "abcde");
  CHECK(r[0].Header("Transfer-Encoding") == "chunked");

  client.Send("HEAD / HTTP/1.1\r\nHost: app.test\r\n\r\n");
  r = client.Read(1, /*head_request=*/true);
  REQUIRE(r.size() == 1);
  CHECK(r[0].Header("Content-Length") == "5");

  // The backend delimits by closing; an HTTP/1.1 client gets it chunked and
  // keeps its connection.
  client.Send(Get("app.test", "/plain"));
  r = client.Read(1);
  REQUIRE(r.size() == 1);
  CHECK(r[0].body == "until close");
  CHECK(r[0].keep_alive);

  TestClient old(proxy.port());
  old.Send("GET /plain HTTP/1.0\r\nHost: app.test\r\n\r\n");
  r = old.Read(1);
  REQUIRE(r.size() == 1);
  CHECK(r[0].body == "until close");
  CHECK_FALSE(r[0].keep_alive);
}

TEST_CASE("pipelined requests are answered in order", "[proxy]") {
  FakeBackend backend("127.0.0.1", [](const testing::ReceivedRequest& req) {
    return OkResponse(req.head.substr(4, req.head.find(' ', 4) - 4));
  });
  ProxyUnderTest proxy(AppSnapshot({{"127.0.0.1", backend.port()}}));
  TestClient client(proxy.port());
  client.Send(Get("app.test", "/1") + Get("app.test", "/2") + Get("nowhere.test", "/3") +
              Get("app.test", "/4"));
  auto r = client.Read(4);
  REQUIRE(r.size() == 4);
  CHECK(r[0].body == "/1");
  CHECK(r[1].body == "/2");
  CHECK(r[2].status == 404);
  CHECK(r[3].body == "/4");
}

TEST_CASE("hop-by-hop and forwarding headers are rewritten", "[proxy]") {
  FakeBackend backend("127.0.0.1", Answer("ok"));
  ProxyUnderTest proxy(AppSnapshot({{"127.0.0.1", backend.port()}}));
  TestClient client(proxy.port());
  client.Send(
      "GET / HTTP/1.1\r\nHost: App.Test:8080\r\nConnection: keep-alive, X-Private\r\n"
      "X-Private: secret\r\nKeep-Alive: timeout=5\r\nX-Forwarded-For: 6.6.6.6\r\n"
      "X-Kept: yes\r\n\r\n");
  auto r = client.Read(1);
  REQUIRE(r.size() == 1);
  REQUIRE(r[0].status == 200);
  auto requests = backend.requests();
  REQUIRE(requests.size() == 1);
  const std::string& head = requests[0].head;
  CHECK(head.find("Host: App.Test:8080\r\n") != std::string::npos);
  CHECK(head.find("X-Kept: yes\r\n") != std::string::npos);
  CHECK(head.find("X-Private") == std::string::npos);
  CHECK(head.find("Keep-Alive") == std::string::npos);
  CHECK(head.find("6.6.6.6") == std::string::npos);
  CHECK(head.find("X-Forwarded-For: 127.0.0.1\r\n") != std::string::npos);
  CHECK(head.find("X-Forwarded-Host: App.Test:8080\r\n") != std::string::npos);
  CHECK(head.find("X-Forwarded-Proto: http\r\n") != std::string::npos);
}

TEST_CASE("malformed and oversized requests get 4xx and a close", "[proxy]") {
  FakeBackend backend("127.0.0.1", Answer("ok"));
  ProxyLimits limits;
  limits.max_header_bytes = 1024;
  limits.max_uri_bytes = 256;
  limits.max_headers = 20;
  std::string many_headers;
  for (int i = 0; i < 25; ++i) many_headers += "X-" + std::to_string(i) + ": v\r\n";
  ProxyUnderTest proxy(AppSnapshot({{"127.0.0.1", backend.port()}}), limits);
  struct Case {
    std::string request;
    int status;
  };
  std::vector<Case> cases = {
      {"GET / HTTP/1.1\r\nHost: app.test\r\nContent-Length: 1\r\nTransfer-Encoding: "
       "chunked\r\n\r\n",
       400},
      {"GET / HTTP/1.1\r\nHost: app.test\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", 400},
      {"GET / HTTP/1.1\r\nHost : app.test\r\n\r\n", 400},
      {"GET / HTTP/1.1\r\n\r\n", 400},
      {"GET / HTTP/1.1\r\nHost: a.test\r\nHost: b.test\r\n\r\n", 400},
      {"GET /" + std::string(300, 'a') + " HTTP/1.1\r\nHost: app.test\r\n\r\n", 414},
      {"GET / HTTP/1.1\r\nHost: app.test\r\nX-Big: " + std::string(2000, 'b') + "\r\n\r\n", 431},
      {"GET / HTTP/1.1\r\nHost: app.test\r\n" + many_headers + "\r\n", 431},
      {"CONNECT app.test:443 HTTP/1.1\r\nHost: app.test:443\r\n\r\n", 405},
  };
  for (const Case& c : cases) {
    INFO(c.request.substr(0, 80));
    TestClient client(proxy.port());
    client.Send(c.request);
    auto r = client.Read(1);
    REQUIRE(r.size() == 1);
    CHECK(r[0].status == c.status);
    CHECK(client.ClosedByPeer());
  }
  CHECK(backend.requests().empty());
}

TEST_CASE("a new snapshot applies to new requests without closing connections", "[proxy]") {
  FakeBackend a("127.0.0.1", Answer("a"));
  FakeBackend b("127.0.0.1", Answer("b"));
  ProxyUnderTest proxy(AppSnapshot({{"127.0.0.1", a.port()}}));
  TestClient client(proxy.port());
  client.Send(Get("app.test"));
  auto r = client.Read(1);
  REQUIRE(r.size() == 1);
  CHECK(r[0].body == "a");
  v1::Snapshot next = AppSnapshot({{"127.0.0.1", b.port()}});
  next.set_version("test-2");
  proxy.Apply(next);
  std::string body;
  for (int i = 0; i < 200 && body != "b"; ++i) {
    client.Send(Get("app.test"));
    r = client.Read(1);
    REQUIRE(r.size() == 1);  // same connection throughout
    body = r[0].body;
  }
  CHECK(body == "b");
}

}  // namespace
}  // namespace portico::dataplane
