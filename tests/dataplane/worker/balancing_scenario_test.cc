// Scenarios of the request path's load balancing against a real Worker:
// services from the snapshot (sticky cookies, hashing, Host rewriting),
// retries, per-route timeouts, middlewares the proxy refuses, and active
// health verdicts posted to the worker.
#include <catch2/catch.hpp>

#include <chrono>
#include <map>
#include <set>
#include <string>
#include <thread>

#include "tests/dataplane/support/fake_backend.h"
#include "tests/dataplane/support/proxy_under_test.h"

namespace portico::dataplane {
namespace {

using testing::AppSnapshot;
using testing::Answer;
using testing::FakeBackend;
using testing::Get;
using testing::ParsedResponse;
using testing::ProxyUnderTest;
using testing::TestClient;

// AppSnapshot's app.test route, sent to service "default/app" over the
// cluster instead of the cluster itself.
v1::Snapshot WithService(v1::Snapshot s, const v1::LoadBalancedService& lb) {
  auto* service = s.add_services();
  service->set_name("default/app");
  *service->mutable_load_balancer() = lb;
  service->mutable_load_balancer()->set_cluster("default/app:http");
  s.mutable_routes(0)->clear_cluster();
  s.mutable_routes(0)->set_service("default/app");
  return s;
}

v1::Snapshot WithRetry(v1::Snapshot s, uint32_t attempts, bool non_idempotent = false) {
  auto* m = s.add_middlewares();
  m->set_name("default/retry");
  m->set_type("retry");
  m->mutable_retry()->set_attempts(attempts);
  m->mutable_retry()->set_initial_interval_ms(10);
  m->mutable_retry()->set_retry_non_idempotent(non_idempotent);
  s.mutable_routes(0)->add_middlewares("default/retry");
  return s;
}

ParsedResponse Send(int port, const std::string& request) {
  TestClient client(port);
  client.Send(request);
  auto r = client.Read(1);
  REQUIRE(r.size() == 1);
  return r[0];
}

std::string Post(const std::string& host, const std::string& body) {
  return "POST / HTTP/1.1\r\nHost: " + host + "\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + body;
}

std::string GetWith(const std::string& host, const std::string& header) {
  return "GET / HTTP/1.1\r\nHost: " + host + "\r\n" + header + "\r\n\r\n";
}

// Answers nothing: closes each connection as soon as a request arrived.
FakeBackend::Handler Hangup() {
  return [](const testing::ReceivedRequest&) { return std::string(); };
}

TEST_CASE("sticky cookies keep a client on its endpoint", "[proxy][balancing]") {
  FakeBackend a("127.0.0.2", Answer("a"));
  FakeBackend b("127.0.0.3", Answer("b"));
  v1::LoadBalancedService lb;
  lb.mutable_sticky()->set_name("srv");
  lb.mutable_sticky()->set_http_only(true);
  ProxyUnderTest proxy(WithService(
      AppSnapshot({{"127.0.0.2", a.port()}, {"127.0.0.3", b.port()}}), lb));
  ParsedResponse first = Send(proxy.port(), Get("app.test"));
  REQUIRE(first.status == 200);
  std::string cookie = first.Header("set-cookie");
  REQUIRE(cookie.starts_with("srv="));
  CHECK(cookie.find("HttpOnly") != std::string::npos);
  std::string pair = cookie.substr(0, cookie.find(';'));
  for (int i = 0; i < 6; ++i) {
    ParsedResponse again = Send(proxy.port(), GetWith("app.test", "Cookie: " + pair));
    CHECK(again.body == first.body);
    CHECK(again.Header("set-cookie").empty());  // the cookie is still right: not re-sent
  }
}

TEST_CASE("consistent hashing on a header sends equal keys to one endpoint", "[proxy][balancing]") {
  FakeBackend a("127.0.0.2", Answer("a"));
  FakeBackend b("127.0.0.3", Answer("b"));
  FakeBackend c("127.0.0.4", Answer("c"));
  v1::LoadBalancedService lb;
  lb.set_strategy(v1::LoadBalancedService::MAGLEV);
  lb.mutable_hash_key()->set_source(v1::HashKey::HEADER);
  lb.mutable_hash_key()->set_name("X-User");
  ProxyUnderTest proxy(WithService(
      AppSnapshot({{"127.0.0.2", a.port()}, {"127.0.0.3", b.port()}, {"127.0.0.4", c.port()}}),
      lb));
  std::map<std::string, std::string> first;
  std::set<std::string> used;
  for (int round = 0; round < 3; ++round) {
    for (int user = 0; user < 12; ++user) {
      std::string key = "u" + std::to_string(user);
      ParsedResponse r = Send(proxy.port(), GetWith("app.test", "X-User: " + key));
      REQUIRE(r.status == 200);
      auto [it, inserted] = first.emplace(key, r.body);
      CHECK(it->second == r.body);
      used.insert(r.body);
    }
  }
  CHECK(used.size() >= 2);  // 12 keys do not all land on one of 3 endpoints
}

TEST_CASE("passHostHeader false sends the endpoint's address as Host", "[proxy][balancing]") {
  FakeBackend a("127.0.0.2", Answer("a"));
  v1::LoadBalancedService lb;
  lb.set_rewrite_host(true);
  ProxyUnderTest proxy(WithService(AppSnapshot({{"127.0.0.2", a.port()}}), lb));
  REQUIRE(Send(proxy.port(), Get("app.test")).status == 200);
  REQUIRE(a.requests().size() == 1);
  const std::string head = a.requests()[0].head;
  CHECK(head.find("Host: 127.0.0.2:" + std::to_string(a.port()) + "\r\n") != std::string::npos);
  CHECK(head.find("\r\nHost: app.test") == std::string::npos);
  CHECK(head.find("X-Forwarded-Host: app.test\r\n") != std::string::npos);
}

TEST_CASE("retries go to another endpoint, only when safe", "[proxy][balancing]") {
  FakeBackend dead("127.0.0.2", Hangup());
  FakeBackend good("127.0.0.3", Answer("ok"));
  v1::Snapshot base = AppSnapshot({{"127.0.0.2", dead.port()}, {"127.0.0.3", good.port()}});
  // Passive health would soon eject the hanging endpoint: keep it in.
  ProxyLimits limits;
  limits.passive_health.consecutive_failures = 0;

  SECTION("without a retry middleware a reset after sending fails the request") {
    ProxyUnderTest proxy(base, limits);
    int failed = 0;
    for (int i = 0; i < 4; ++i) failed += Send(proxy.port(), Get("app.test")).status == 502;
    CHECK(failed == 2);  // every other request goes to the hanging endpoint
  }
  SECTION("with retries, idempotent requests all succeed") {
    ProxyUnderTest proxy(WithRetry(base, 3), limits);
    for (int i = 0; i < 6; ++i) {
      ParsedResponse r = Send(proxy.port(), Get("app.test"));
      CHECK(r.status == 200);
      CHECK(r.body == "ok");
    }
    CHECK(!dead.requests().empty());  // tried first, every other time
  }
  SECTION("a POST that reached the backend is not retried unless allowed") {
    ProxyUnderTest proxy(WithRetry(base, 3), limits);
    int failed = 0;
    for (int i = 0; i < 4; ++i) failed += Send(proxy.port(), Post("app.test", "x=1")).status == 502;
    CHECK(failed == 2);
  }
  SECTION("retryNonIdempotentMethod replays the POST, body included") {
    ProxyUnderTest proxy(WithRetry(base, 3, true), limits);
    for (int i = 0; i < 4; ++i) CHECK(Send(proxy.port(), Post("app.test", "x=1")).status == 200);
    for (const auto& request : std::vector(good.requests())) CHECK(request.body == "x=1");
  }
}

TEST_CASE("a route's total timeout answers 504 while the backend is silent", "[proxy][balancing]") {
  FakeBackend slow("127.0.0.2", [](const testing::ReceivedRequest&) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    return testing::OkResponse("late");
  });
  v1::Snapshot s = AppSnapshot({{"127.0.0.2", slow.port()}});
  s.mutable_routes(0)->mutable_timeouts()->set_total_ms(200);
  ProxyUnderTest proxy(s);
  auto started = std::chrono::steady_clock::now();
  ParsedResponse r = Send(proxy.port(), Get("app.test"));
  auto took = std::chrono::steady_clock::now() - started;
  CHECK(r.status == 504);
  CHECK(took < std::chrono::milliseconds(1200));

  s.mutable_routes(0)->mutable_timeouts()->set_total_ms(0);
  s.mutable_routes(0)->mutable_timeouts()->set_response_header_ms(150);
  s.set_version("test-2");
  proxy.Apply(s);
  CHECK(Send(proxy.port(), Get("app.test")).status == 504);
}

TEST_CASE("a route with a middleware the proxy does not run answers 503 naming it",
          "[proxy][balancing]") {
  FakeBackend a("127.0.0.2", Answer("a"));
  v1::Snapshot s = AppSnapshot({{"127.0.0.2", a.port()}});
  auto* m = s.add_middlewares();
  m->set_name("default/auth");
  m->set_type("basicAuth");
  s.mutable_routes(0)->add_middlewares("default/auth");
  ProxyUnderTest proxy(s);
  ParsedResponse r = Send(proxy.port(), Get("app.test"));
  CHECK(r.status == 503);
  CHECK(r.body == "middleware default/auth (basicAuth) is not run by this proxy\n");
  CHECK(a.requests().empty());  // never passed on without the middleware
}

// Requests to app.test go to "default/main" (the app cluster) and are
// mirrored to "default/shadow" (a second cluster) at `percent`.
v1::Snapshot WithMirror(v1::Snapshot s, const testing::Backend& shadow, uint32_t percent,
                        int64_t max_body_size = -1) {
  auto* cluster = s.add_clusters();
  cluster->set_name("default/shadow:http");
  auto* endpoint = cluster->add_endpoints();
  endpoint->set_address(shadow.ip);
  endpoint->set_port(static_cast<uint32_t>(shadow.port));
  auto* main = s.add_services();
  main->set_name("default/main");
  main->mutable_load_balancer()->set_cluster("default/app:http");
  auto* copy = s.add_services();
  copy->set_name("default/shadow");
  copy->mutable_load_balancer()->set_cluster("default/shadow:http");
  auto* mirroring = s.add_services();
  mirroring->set_name("default/mirrored");
  mirroring->mutable_mirroring()->set_main("default/main");
  mirroring->mutable_mirroring()->set_mirror_body(true);
  mirroring->mutable_mirroring()->set_max_body_size(max_body_size);
  auto* target = mirroring->mutable_mirroring()->add_mirrors();
  target->set_service("default/shadow");
  target->set_percent(percent);
  s.mutable_routes(0)->clear_cluster();
  s.mutable_routes(0)->set_service("default/mirrored");
  return s;
}

// Polls until `backend` has seen `count` requests (mirrors are sent
// asynchronously to the client's answer).
bool Eventually(const FakeBackend& backend, size_t count) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (backend.requests().size() < count && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return backend.requests().size() == count;
}

TEST_CASE("mirroring copies the share of requests asked for, body included", "[proxy][balancing]") {
  FakeBackend main("127.0.0.2", Answer("main"));
  FakeBackend shadow("127.0.0.5", Answer("shadow"));
  SECTION("every request, with its body") {
    ProxyUnderTest proxy(
        WithMirror(AppSnapshot({{"127.0.0.2", main.port()}}), {"127.0.0.5", shadow.port()}, 100));
    ParsedResponse r = Send(proxy.port(), Post("app.test", "payload"));
    CHECK(r.status == 200);
    CHECK(r.body == "main");
    REQUIRE(Eventually(shadow, 1));
    CHECK(shadow.requests()[0].body == "payload");
    CHECK(shadow.requests()[0].head.starts_with("POST / HTTP/1.1\r\n"));
    // Counted once the mirror's answer is read, after the backend saw it.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (proxy.worker().mirrors_sent() == 0 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    CHECK(proxy.worker().mirrors_sent() == 1);
  }
  SECTION("half of them") {
    ProxyUnderTest proxy(
        WithMirror(AppSnapshot({{"127.0.0.2", main.port()}}), {"127.0.0.5", shadow.port()}, 50));
    for (int i = 0; i < 10; ++i) CHECK(Send(proxy.port(), Get("app.test")).body == "main");
    CHECK(Eventually(shadow, 5));
    CHECK(main.requests().size() == 10);
  }
  SECTION("a body above maxBodySize skips the mirror") {
    ProxyUnderTest proxy(WithMirror(AppSnapshot({{"127.0.0.2", main.port()}}),
                                    {"127.0.0.5", shadow.port()}, 100, 4));
    CHECK(Send(proxy.port(), Post("app.test", "too long")).body == "main");
    CHECK(Send(proxy.port(), Post("app.test", "ok")).body == "main");
    REQUIRE(Eventually(shadow, 1));
    CHECK(shadow.requests()[0].body == "ok");
    CHECK(proxy.worker().mirrors_skipped() == 1);
  }
  SECTION("the mirror's passHostHeader decides its Host, not the main service's") {
    v1::Snapshot snapshot =
        WithMirror(AppSnapshot({{"127.0.0.2", main.port()}}), {"127.0.0.5", shadow.port()}, 100);
    for (auto& service : *snapshot.mutable_services()) {
      if (service.name() == "default/shadow") service.mutable_load_balancer()->set_rewrite_host(true);
    }
    ProxyUnderTest proxy(snapshot);
    CHECK(Send(proxy.port(), Get("app.test")).body == "main");
    REQUIRE(Eventually(shadow, 1));
    CHECK_THAT(main.requests()[0].head, Catch::Contains("\r\nHost: app.test\r\n"));
    CHECK_THAT(shadow.requests()[0].head,
               Catch::Contains("\r\nHost: 127.0.0.5:" + std::to_string(shadow.port()) + "\r\n"));
  }
}

class DownSet final : public ActiveHealthView {
 public:
  explicit DownSet(std::string endpoint) : endpoint_(std::move(endpoint)) {}
  bool Down(std::string_view, std::string_view endpoint) const override {
    return endpoint == endpoint_;
  }

 private:
  std::string endpoint_;
};

TEST_CASE("endpoints that active checks mark down get no traffic until they are up",
          "[proxy][balancing]") {
  FakeBackend a("127.0.0.2", Answer("a"));
  FakeBackend b("127.0.0.3", Answer("b"));
  ProxyUnderTest proxy(AppSnapshot({{"127.0.0.2", a.port()}, {"127.0.0.3", b.port()}}));
  proxy.worker().PostHealth(
      std::make_shared<DownSet>("127.0.0.2:" + std::to_string(a.port())));
  // The verdict reaches the worker's loop asynchronously: poll with a deadline.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  std::string last;
  int in_a_row = 0;
  while (in_a_row < 6 && std::chrono::steady_clock::now() < deadline) {
    last = Send(proxy.port(), Get("app.test")).body;
    in_a_row = last == "b" ? in_a_row + 1 : 0;
  }
  CHECK(in_a_row == 6);
  proxy.worker().PostHealth(nullptr);
  bool a_again = false;
  deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!a_again && std::chrono::steady_clock::now() < deadline) {
    a_again = Send(proxy.port(), Get("app.test")).body == "a";
  }
  CHECK(a_again);
}

}  // namespace
}  // namespace portico::dataplane
