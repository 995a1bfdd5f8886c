// The prober against real loopback backends: thresholds, statuses, what
// the backend receives, publishing only on changes, and Update.
#include "dataplane/upstream/health_prober.h"

#include <algorithm>
#include <catch2/catch.hpp>

#include "tests/dataplane/health/health_support.h"
#include "tests/dataplane/support/fake_backend.h"

namespace portico::dataplane::testing {
namespace {

using portico::testing::FakeBackend;
using portico::testing::ReceivedRequest;

TEST_CASE("health prober: publishes the all-healthy status once, then only on changes") {
  FakeBackend backend("127.0.0.1", [](const ReceivedRequest&) { return Answer(200); });
  Probing p({LoopbackTarget(backend.port(), FastCheck())});
  REQUIRE(WaitUntil([&] { return p.prober.checks_total() >= 10; }));
  CHECK(p.published.size() == 1);
  CHECK(p.published.at(0).status->down_count() == 0);
  CHECK(p.published.at(0).checks == 0);  // before the first check
  CHECK(p.prober.failures_total() == 0);
}

TEST_CASE("health prober: down after unhealthy_threshold failures, up after healthy_threshold") {
  std::atomic<int> seen{0};
  // Checks 1-2 pass, 3-5 fail, then pass again.
  FakeBackend backend("127.0.0.1", [&](const ReceivedRequest&) {
    int n = ++seen;
    return Answer(n >= 3 && n <= 5 ? 500 : 200);
  });
  v1::HealthCheck check = FastCheck();
  check.set_unhealthy_threshold(3);
  check.set_healthy_threshold(2);
  Probing p({LoopbackTarget(backend.port(), check)});
  REQUIRE(WaitUntil([&] { return p.published.size() >= 3; }));
  std::string endpoint = LoopbackEndpoint(backend.port());
  auto down = p.published.at(1);
  CHECK(down.status->Down("svc", endpoint));
  CHECK(down.status->Reason("svc", endpoint) == "status 500");
  CHECK(down.checks == 5);  // the third consecutive failure
  CHECK(down.failures == 3);
  auto up = p.published.at(2);
  CHECK_FALSE(up.status->Down("svc", endpoint));
  CHECK(up.status->down_count() == 0);
  CHECK(up.checks == 7);  // the second consecutive pass
  REQUIRE(WaitUntil([&] { return p.prober.checks_total() >= 12; }));
  CHECK(p.published.size() == 3);
}

TEST_CASE("health prober: a refused connect marks the endpoint down") {
  int port = ClosedPort();
  Probing p({LoopbackTarget(port, FastCheck())});
  REQUIRE(WaitUntil([&] { return p.published.size() >= 2; }));
  CHECK(p.published.last().status->Reason("svc", LoopbackEndpoint(port)) == "connect refused");
}

TEST_CASE("health prober: a backend that never answers times out") {
  SilentListener silent;
  v1::HealthCheck check = FastCheck("/health", 20);
  check.set_timeout_ms(60);
  auto start = std::chrono::steady_clock::now();
  Probing p({LoopbackTarget(silent.port(), check)});
  REQUIRE(WaitUntil([&] { return p.published.size() >= 2; }));
  CHECK(std::chrono::steady_clock::now() - start >= std::chrono::milliseconds(60));
  CHECK(p.published.last().status->Reason("svc", LoopbackEndpoint(silent.port())) == "timeout");
}

TEST_CASE("health prober: any 2xx or 3xx passes by default, another status fails") {
  FakeBackend ok("127.0.0.1", [](const ReceivedRequest&) { return Answer(204); });
  FakeBackend moved("127.0.0.1", [](const ReceivedRequest&) { return Answer(304); });
  FakeBackend missing("127.0.0.1", [](const ReceivedRequest&) { return Answer(404); });
  Probing p({LoopbackTarget(ok.port(), FastCheck()), LoopbackTarget(moved.port(), FastCheck()),
             LoopbackTarget(missing.port(), FastCheck())});
  REQUIRE(WaitUntil([&] { return p.published.size() >= 2; }));
  REQUIRE(WaitUntil([&] { return ok.requests().size() >= 3 && moved.requests().size() >= 3; }));
  auto status = p.published.last().status;
  CHECK(status->down_count() == 1);
  CHECK(status->Reason("svc", LoopbackEndpoint(missing.port())) == "status 404");
  CHECK(p.published.size() == 2);
}

TEST_CASE("health prober: an expected status passes only when it is exactly that") {
  FakeBackend teapot("127.0.0.1", [](const ReceivedRequest&) { return Answer(418); });
  FakeBackend fine("127.0.0.1", [](const ReceivedRequest&) { return Answer(200); });
  v1::HealthCheck check = FastCheck();
  check.set_status(418);
  Probing p({LoopbackTarget(teapot.port(), check), LoopbackTarget(fine.port(), check)});
  REQUIRE(WaitUntil([&] { return p.published.size() >= 2 && teapot.requests().size() >= 3; }));
  auto status = p.published.last().status;
  CHECK_FALSE(status->Down("svc", LoopbackEndpoint(teapot.port())));
  CHECK(status->Reason("svc", LoopbackEndpoint(fine.port())) == "status 200");
}

TEST_CASE("health prober: the backend receives method, path, Host and headers") {
  FakeBackend backend("127.0.0.1", [](const ReceivedRequest&) { return Answer(200); });
  v1::HealthCheck check = FastCheck("/ready?deep=1");
  check.set_method("OPTIONS");
  check.set_hostname("svc.example");
  v1::Header* h = check.add_headers();
  h->set_name("X-Probe");
  h->set_value("yes");
  Probing p({LoopbackTarget(backend.port(), check)});
  REQUIRE(WaitUntil([&] { return !backend.requests().empty(); }));
  std::string head = backend.requests().front().head;
  CHECK(head.starts_with("OPTIONS /ready?deep=1 HTTP/1.1\r\n"));
  CHECK(head.find("\r\nHost: svc.example\r\n") != std::string::npos);
  CHECK(head.find("\r\nX-Probe: yes\r\n") != std::string::npos);
  CHECK(head.find("\r\nConnection: close\r\n") != std::string::npos);
  CHECK(head.find("\r\nUser-Agent: portico-health\r\n") != std::string::npos);
}

TEST_CASE("health prober: default Host is the endpoint address, port overrides the port") {
  FakeBackend backend("127.0.0.1", [](const ReceivedRequest&) { return Answer(200); });
  v1::HealthCheck check = FastCheck();
  check.set_port(static_cast<uint32_t>(backend.port()));
  int closed = ClosedPort();
  Probing p({LoopbackTarget(closed, check)});  // the endpoint's own port refuses
  REQUIRE(WaitUntil([&] { return backend.requests().size() >= 3; }));
  CHECK(backend.requests().front().head.find(
            "\r\nHost: 127.0.0.1:" + std::to_string(backend.port()) + "\r\n") != std::string::npos);
  CHECK(p.published.size() == 1);
  CHECK(p.prober.failures_total() == 0);
}

TEST_CASE("health prober: an invalid check is never sent and counts healthy") {
  FakeBackend backend("127.0.0.1", [](const ReceivedRequest&) { return Answer(500); });
  FakeBackend other("127.0.0.1", [](const ReceivedRequest&) { return Answer(200); });
  v1::HealthCheck bad = FastCheck();
  v1::Header* h = bad.add_headers();
  h->set_name("X-A");
  h->set_value("1\r\nInjected: 1");
  Probing p({LoopbackTarget(backend.port(), bad), LoopbackTarget(other.port(), FastCheck())});
  REQUIRE(WaitUntil([&] { return other.requests().size() >= 5; }));
  CHECK(backend.requests().empty());
  CHECK(p.published.size() == 1);
  CHECK(p.published.last().status->down_count() == 0);
}

TEST_CASE("health prober: unhealthy_interval_ms paces checks of a down endpoint") {
  std::atomic<int> seen{0};
  FakeBackend backend("127.0.0.1", [&](const ReceivedRequest&) {
    ++seen;
    return Answer(500);
  });
  v1::HealthCheck check = FastCheck("/health", 10);
  check.set_unhealthy_interval_ms(60'000);
  Probing p({LoopbackTarget(backend.port(), check)});
  REQUIRE(WaitUntil([&] { return p.published.size() >= 2; }));
  FakeBackend witness("127.0.0.1", [](const ReceivedRequest&) { return Answer(200); });
  p.prober.Update({LoopbackTarget(backend.port(), check),
                   LoopbackTarget(witness.port(), FastCheck("/health", 10))});
  REQUIRE(WaitUntil([&] { return witness.requests().size() >= 10; }));
  CHECK(seen == 1);  // down after the first failure, next check in a minute
  // The verdict carried over the Update: nothing new to publish.
  CHECK(p.published.size() == 2);
  CHECK(p.published.last().status->Down("svc", LoopbackEndpoint(backend.port())));
}

TEST_CASE("health prober: Update drops removed targets and publishes when a down one leaves") {
  FakeBackend failing("127.0.0.1", [](const ReceivedRequest&) { return Answer(503); });
  FakeBackend healthy("127.0.0.1", [](const ReceivedRequest&) { return Answer(200); });
  Probing p(
      {LoopbackTarget(failing.port(), FastCheck()), LoopbackTarget(healthy.port(), FastCheck())});
  REQUIRE(WaitUntil([&] { return p.published.size() >= 2; }));
  CHECK(p.published.last().status->down_count() == 1);
  p.prober.Update({LoopbackTarget(healthy.port(), FastCheck())});
  REQUIRE(WaitUntil([&] { return p.published.size() >= 3; }));
  CHECK(p.published.last().status->down_count() == 0);
  size_t failing_seen = failing.requests().size();
  size_t healthy_seen = healthy.requests().size();
  REQUIRE(WaitUntil([&] { return healthy.requests().size() >= healthy_seen + 10; }));
  CHECK(failing.requests().size() == failing_seen);
  CHECK(p.published.size() == 3);
}

TEST_CASE("health prober: a changed check is a new target that starts healthy") {
  FakeBackend backend("127.0.0.1", [](const ReceivedRequest& r) {
    return Answer(r.head.starts_with("GET /old ") ? 500 : 200);
  });
  Probing p({LoopbackTarget(backend.port(), FastCheck("/old"))});
  REQUIRE(WaitUntil([&] { return p.published.size() >= 2; }));
  CHECK(p.published.last().status->down_count() == 1);
  p.prober.Update({LoopbackTarget(backend.port(), FastCheck("/new"))});
  REQUIRE(WaitUntil([&] { return p.published.size() >= 3; }));
  CHECK(p.published.last().status->down_count() == 0);
}

TEST_CASE("health prober: Stop with checks in flight returns promptly") {
  SilentListener silent;
  v1::HealthCheck check = FastCheck();
  check.set_timeout_ms(60'000);
  auto prober = std::make_unique<HealthProber>(nullptr);
  prober->Start();
  prober->Update({LoopbackTarget(silent.port(), check)});
  auto start = std::chrono::steady_clock::now();
  prober.reset();
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(2));
}

TEST_CASE("health prober: Update after Stop is ignored") {
  Publications published;
  HealthProber prober(published.Sink());
  prober.Start();
  prober.Stop();
  prober.Update({LoopbackTarget(ClosedPort(), FastCheck())});
  CHECK(published.size() == 0);
}

TEST_CASE("health prober: the first checks of a new config are spread out") {
  std::mutex mu;
  std::vector<std::chrono::steady_clock::time_point> arrivals;
  FakeBackend backend("127.0.0.1", [&](const ReceivedRequest&) {
    std::lock_guard lock(mu);
    arrivals.push_back(std::chrono::steady_clock::now());
    return Answer(200);
  });
  std::vector<HealthTarget> targets;
  for (int i = 0; i < 20; ++i) {
    targets.push_back(
        LoopbackTarget(backend.port(), FastCheck("/health", 60'000), "svc" + std::to_string(i)));
  }
  HealthProber prober(nullptr, {.seed = 11, .first_check_spread_ms = 400});
  auto start = std::chrono::steady_clock::now();
  prober.Start();
  prober.Update(std::move(targets));
  REQUIRE(WaitUntil([&] { return backend.requests().size() >= 20; }));
  std::lock_guard lock(mu);
  auto [first, last] = std::minmax_element(arrivals.begin(), arrivals.end());
  CHECK(*last - *first >= std::chrono::milliseconds(100));
  CHECK(*last - start < std::chrono::seconds(3));
}

TEST_CASE("health prober: destroyed without Start") {
  HealthProber prober(nullptr);
  prober.Update({LoopbackTarget(ClosedPort(), FastCheck())});
}

}  // namespace
}  // namespace portico::dataplane::testing
