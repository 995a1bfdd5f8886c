// Two workers of one proxy: what one learns about an endpoint (a passive
// health ejection) reaches the other.
#include <catch2/catch.hpp>

#include <chrono>
#include <memory>
#include <thread>

#include "dataplane/worker/worker.h"
#include "tests/dataplane/support/fake_backend.h"
#include "tests/dataplane/support/proxy_under_test.h"

namespace portico::dataplane {
namespace {

using testing::AppSnapshot;
using testing::Answer;
using testing::FakeBackend;
using testing::Get;
using testing::TestClient;

struct TwoWorkers {
  RequestCounters counters[2];
  ConnectionGauge gauges[2];
  int ports[2] = {0, 0};
  std::unique_ptr<Worker> workers[2];

  explicit TwoWorkers(const v1::Snapshot& snapshot) {
    std::string error;
    auto config = RuntimeConfig::Build(snapshot, &error);
    REQUIRE(error.empty());
    for (int i = 0; i < 2; ++i) {
      std::vector<EntrypointListener> listeners;
      listeners.push_back(
          testing::LoopbackListener({"web", "127.0.0.1", 0}, &counters[i], &gauges[i], &ports[i]));
      workers[i] = std::make_unique<Worker>(i, ProxyLimits{}, std::move(listeners));
      workers[i]->PostConfig(config);
    }
    std::vector<Worker*> all = {workers[0].get(), workers[1].get()};
    for (auto& w : workers) w->SetSiblings(all);
    for (auto& w : workers) w->Start();
  }
  ~TwoWorkers() {
    for (auto& w : workers) w->Stop(1000);
    for (auto& w : workers) w->Join();
  }
};

TEST_CASE("an ejection by one worker reaches its siblings", "[proxy][passive_health]") {
  FakeBackend good("127.0.0.2", Answer("good"));
  FakeBackend bad("127.0.0.3", [](const testing::ReceivedRequest&) {
    return std::string("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n");
  });
  TwoWorkers proxy(AppSnapshot({{"127.0.0.2", good.port()}, {"127.0.0.3", bad.port()}}));
  TestClient first(proxy.ports[0]);
  int errors = 0;
  for (int i = 0; i < 10; ++i) {
    first.Send(Get("app.test"));
    auto r = first.Read(1);
    REQUIRE(r.size() == 1);
    errors += r[0].status == 503;
  }
  CHECK(errors == 5);
  CHECK(proxy.workers[0]->ejections() == 1);
  // The second worker has not seen one failure, yet skips the endpoint.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  std::string bodies;
  TestClient second(proxy.ports[1]);
  for (int i = 0; i < 10; ++i) {
    second.Send(Get("app.test"));
    auto r = second.Read(1);
    REQUIRE(r.size() == 1);
    bodies += r[0].status == 200 ? 'g' : 'b';
    REQUIRE(std::chrono::steady_clock::now() < deadline);
  }
  CHECK(bodies == "gggggggggg");
  CHECK(proxy.workers[1]->ejections() == 0);
}

}  // namespace
}  // namespace portico::dataplane
