// Backends that misbehave: only their own check fails, with a precise
// reason, and memory per check stays bounded.
#include <catch2/catch.hpp>

#include "dataplane/upstream/health_prober.h"
#include "tests/dataplane/health/health_support.h"
#include "tests/dataplane/support/fake_backend.h"

namespace portico::dataplane::testing {
namespace {

using portico::testing::FakeBackend;
using portico::testing::ReceivedRequest;

// Probes `bad` next to a healthy backend; returns why `bad` went down and
// checks that the healthy one stayed up.
std::string DownReason(int bad_port, const v1::HealthCheck& check = FastCheck()) {
  FakeBackend healthy("127.0.0.1", [](const ReceivedRequest&) { return Answer(200); });
  Probing p({LoopbackTarget(bad_port, check), LoopbackTarget(healthy.port(), FastCheck())});
  bool published = WaitUntil([&] { return p.published.size() >= 2; });
  REQUIRE(WaitUntil([&] { return healthy.requests().size() >= 3; }));
  auto status = p.published.last().status;
  CHECK_FALSE(status->Down("svc", LoopbackEndpoint(healthy.port())));
  CHECK(status->down_count() == (published ? 1u : 0u));
  return std::string(status->Reason("svc", LoopbackEndpoint(bad_port)));
}

TEST_CASE("health robustness: garbage instead of a response") {
  FakeBackend bad("127.0.0.1", [](const ReceivedRequest&) {
    return std::string("SSH-2.0-OpenSSH_9.6\r\n\r\n");
  });
  CHECK(DownReason(bad.port()).starts_with("invalid response: "));
}

TEST_CASE("health robustness: a response head that never ends is cut at 16 KiB") {
  FakeBackend bad("127.0.0.1", [](const ReceivedRequest&) {
    std::string head = "HTTP/1.1 200 OK\r\n";
    for (int i = 0; head.size() < 40 * 1024; ++i) {
      head += "X-Pad-" + std::to_string(i) + ": " + std::string(100, 'a') + "\r\n";
    }
    return head;  // no blank line: the head goes on; the connection stays open
  });
  v1::HealthCheck check = FastCheck();
  check.set_timeout_ms(10'000);  // the cap, not the deadline, must end it
  CHECK(DownReason(bad.port(), check) == "response head over 16 KiB");
}

TEST_CASE("health robustness: a head just under 16 KiB is accepted") {
  FakeBackend big("127.0.0.1", [](const ReceivedRequest&) {
    std::string pad;
    for (int i = 0; pad.size() < 15 * 1024; ++i) {
      pad += "X-Pad-" + std::to_string(i) + ": " + std::string(100, 'a') + "\r\n";
    }
    return Answer(200, pad);
  });
  Probing p({LoopbackTarget(big.port(), FastCheck())});
  REQUIRE(WaitUntil([&] { return big.requests().size() >= 3; }));
  CHECK(p.prober.failures_total() == 0);
}

TEST_CASE("health robustness: interim 1xx responses are skipped") {
  FakeBackend backend("127.0.0.1", [](const ReceivedRequest&) {
    return "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n" +
           Answer(204);
  });
  Probing p({LoopbackTarget(backend.port(), FastCheck())});
  REQUIRE(WaitUntil([&] { return backend.requests().size() >= 3; }));
  CHECK(p.prober.failures_total() == 0);
  CHECK(p.published.size() == 1);
}

TEST_CASE("health robustness: a reset connection") {
  ResettingBackend bad;
  std::string reason = DownReason(bad.port());
  CHECK((reason == "connection reset" || reason == "connection closed before the response head"));
}

TEST_CASE("health robustness: closed without answering") {
  FakeBackend bad("127.0.0.1", [](const ReceivedRequest&) { return std::string(); });
  CHECK(DownReason(bad.port()) == "connection closed before the response head");
}

TEST_CASE("health robustness: half a head, then silence, times out") {
  FakeBackend bad("127.0.0.1", [](const ReceivedRequest&) {
    return std::string("HTTP/1.1 200 OK\r\nContent-Le");
  });
  v1::HealthCheck check = FastCheck();
  check.set_timeout_ms(80);
  CHECK(DownReason(bad.port(), check) == "timeout");
}

}  // namespace
}  // namespace portico::dataplane::testing
