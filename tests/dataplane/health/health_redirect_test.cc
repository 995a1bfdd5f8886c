// Redirects: followed on the same endpoint (at most 5), otherwise the 3xx
// itself is the answer.
#include <catch2/catch.hpp>

#include "dataplane/upstream/health_prober.h"
#include "tests/dataplane/health/health_support.h"
#include "tests/dataplane/support/fake_backend.h"

namespace portico::dataplane::testing {
namespace {

using portico::testing::FakeBackend;
using portico::testing::ReceivedRequest;

std::string PathOf(const ReceivedRequest& r) {
  size_t space = r.head.find(' ');
  return r.head.substr(space + 1, r.head.find(' ', space + 1) - space - 1);
}

std::vector<std::string> Paths(const FakeBackend& b) {
  std::vector<std::string> out;
  for (const ReceivedRequest& r : b.requests()) out.push_back(PathOf(r));
  return out;
}

v1::HealthCheck Following(uint32_t status = 0) {
  v1::HealthCheck check = FastCheck("/health", 50);
  check.set_follow_redirects(true);
  check.set_status(status);
  return check;
}

TEST_CASE("health redirect: relative and same-host redirects are followed") {
  int port = 0;
  FakeBackend backend("127.0.0.1", [&](const ReceivedRequest& r) {
    std::string path = PathOf(r);
    if (path == "/health") return Answer(302, "Location: /step\r\n");
    if (path == "/step") {
      return Answer(307, "Location: http://127.0.0.1:" + std::to_string(port) + "/final\r\n");
    }
    return Answer(path == "/final" ? 200 : 500);
  });
  port = backend.port();
  Probing p({LoopbackTarget(port, Following(200))});
  REQUIRE(WaitUntil([&] { return backend.requests().size() >= 6; }));
  std::vector<std::string> paths = Paths(backend);
  CHECK(std::vector<std::string>(paths.begin(), paths.begin() + 3) ==
        std::vector<std::string>{"/health", "/step", "/final"});
  CHECK(p.prober.failures_total() == 0);
  CHECK(p.published.size() == 1);
}

TEST_CASE("health redirect: a redirect to another host is the answer, not followed") {
  FakeBackend backend("127.0.0.1", [](const ReceivedRequest& r) {
    if (PathOf(r) == "/health") return Answer(302, "Location: http://elsewhere.example/x\r\n");
    return Answer(200);
  });
  FakeBackend strict("127.0.0.1", [](const ReceivedRequest& r) {
    if (PathOf(r) == "/health") return Answer(301, "Location: http://elsewhere.example/x\r\n");
    return Answer(200);
  });
  Probing p(
      {LoopbackTarget(backend.port(), Following()), LoopbackTarget(strict.port(), Following(200))});
  REQUIRE(WaitUntil([&] { return p.published.size() >= 2 && backend.requests().size() >= 3; }));
  for (const std::string& path : Paths(backend)) CHECK(path == "/health");
  for (const std::string& path : Paths(strict)) CHECK(path == "/health");
  auto status = p.published.last().status;
  CHECK_FALSE(status->Down("svc", LoopbackEndpoint(backend.port())));  // 3xx passes
  CHECK(status->Reason("svc", LoopbackEndpoint(strict.port())) == "status 301");
}

TEST_CASE("health redirect: not followed when follow_redirects is off") {
  FakeBackend backend("127.0.0.1", [](const ReceivedRequest& r) {
    if (PathOf(r) == "/health") return Answer(302, "Location: /elsewhere\r\n");
    return Answer(500);
  });
  v1::HealthCheck check = Following();
  check.set_follow_redirects(false);
  Probing p({LoopbackTarget(backend.port(), check)});
  REQUIRE(WaitUntil([&] { return backend.requests().size() >= 3; }));
  for (const std::string& path : Paths(backend)) CHECK(path == "/health");
  CHECK(p.prober.failures_total() == 0);
}

TEST_CASE("health redirect: a loop fails after 5 redirects") {
  FakeBackend backend("127.0.0.1",
                      [](const ReceivedRequest&) { return Answer(302, "Location: /again\r\n"); });
  Probing p({LoopbackTarget(backend.port(), Following())});
  REQUIRE(WaitUntil([&] { return p.published.size() >= 2; }));
  CHECK(p.published.last().status->Reason("svc", LoopbackEndpoint(backend.port())) ==
        "more than 5 redirects");
  CHECK(p.published.last().checks == 1);
  CHECK(backend.requests().size() >= 6);  // the check and its 5 redirects
}

}  // namespace
}  // namespace portico::dataplane::testing
