#include "tests/dataplane/support/proxy_under_test.h"

#include <catch2/catch.hpp>

#include "dataplane/net/reuseport_socket.h"

namespace portico::testing {

using dataplane::EntrypointListener;
using dataplane::RuntimeConfig;
using dataplane::Worker;

v1::Snapshot AppSnapshot(const std::vector<Backend>& backends) {
  v1::Snapshot s;
  s.set_version("test-1");
  auto* cluster = s.add_clusters();
  cluster->set_name("default/app:http");
  for (const Backend& b : backends) {
    auto* ep = cluster->add_endpoints();
    ep->set_address(b.ip);
    ep->set_port(static_cast<uint32_t>(b.port));
  }
  auto* route = s.add_routes();
  route->set_name("default/app/r0/p0");
  route->set_host("app.test");
  route->mutable_path()->set_path("/");
  route->set_cluster("default/app:http");
  auto* orphan = s.add_routes();
  orphan->set_name("default/app/r1/p0");
  orphan->set_host("orphan.test");
  orphan->mutable_path()->set_path("/");
  auto* empty = s.add_clusters();
  empty->set_name("default/empty:80");
  auto* empty_route = s.add_routes();
  empty_route->set_name("default/app/r2/p0");
  empty_route->set_host("empty.test");
  empty_route->mutable_path()->set_path("/");
  empty_route->set_cluster("default/empty:80");
  return s;
}

dataplane::EntrypointListener LoopbackListener(dataplane::EntrypointSpec spec,
                                               dataplane::RequestCounters* counters,
                                               dataplane::ConnectionGauge* connections,
                                               int* port) {
  std::vector<int> fds;
  REQUIRE(dataplane::OpenReusePortListeners("127.0.0.1", 0, 1, &fds, port).empty());
  spec.port = *port;
  return {.spec = std::move(spec),
          .fd = fds[0],
          .port_text = std::to_string(*port),
          .counters = counters,
          .connections = connections};
}

ProxyUnderTest::ProxyUnderTest(const v1::Snapshot& snapshot, dataplane::ProxyLimits limits,
                               dataplane::EntrypointSpec spec) {
  std::vector<EntrypointListener> listeners;
  listeners.push_back(LoopbackListener(std::move(spec), &counters_, &connections_, &port_));
  worker_ = std::make_unique<Worker>(0, limits, std::move(listeners));
  Apply(snapshot);
  worker_->Start();
}

ProxyUnderTest::~ProxyUnderTest() {
  worker_->Stop(1000);
  worker_->Join();
}

void ProxyUnderTest::Apply(const v1::Snapshot& snapshot) {
  std::string error;
  auto config = RuntimeConfig::Build(snapshot, &error);
  REQUIRE(error.empty());
  worker_->PostConfig(config);
}

std::string Get(const std::string& host, const std::string& path) {
  return "GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\n\r\n";
}

FakeBackend::Handler Answer(const std::string& body) {
  return [body](const ReceivedRequest&) { return OkResponse(body); };
}

}  // namespace portico::testing
