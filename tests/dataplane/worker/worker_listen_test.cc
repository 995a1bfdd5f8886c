// A worker's entrypoints accept connections only once a config is in
// force: before that a client is refused (and tries elsewhere) instead of
// being answered 503 for every request.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

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
using testing::LoopbackListener;
using testing::TestClient;

// Whether a TCP connection to 127.0.0.1:port is accepted (a blocking
// connect on loopback: refused at once when nothing listens).
bool Connects(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

TEST_CASE("entrypoints listen from the first config on", "[proxy][worker]") {
  FakeBackend backend("127.0.0.2", Answer("app"));
  RequestCounters counters;
  ConnectionGauge gauge;
  int port = 0;
  std::vector<EntrypointListener> listeners;
  listeners.push_back(LoopbackListener({"web", "127.0.0.1", 0}, &counters, &gauge, &port));
  Worker worker(0, ProxyLimits{}, std::move(listeners));
  worker.Start();
  CHECK_FALSE(Connects(port));

  std::string error;
  auto config = RuntimeConfig::Build(AppSnapshot({{"127.0.0.2", backend.port()}}), &error);
  REQUIRE(error.empty());
  worker.PostConfig(config);
  // The config reaches the worker's loop asynchronously: poll with a deadline.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!Connects(port) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  TestClient client(port);
  client.Send(Get("app.test"));
  auto responses = client.Read(1);
  REQUIRE(responses.size() == 1);
  CHECK(responses[0].status == 200);
  CHECK(responses[0].body == "app");
  worker.Stop(1000);
  worker.Join();
}

}  // namespace
}  // namespace portico::dataplane
