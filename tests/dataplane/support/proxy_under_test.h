// A real Worker on its own loop thread, listening on a free loopback port,
// serving a snapshot built here: the fixture of every scenario test.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "dataplane/config/runtime_config.h"
#include "dataplane/metrics/request_counters.h"
#include "dataplane/worker/proxy_options.h"
#include "dataplane/worker/worker.h"
#include "tests/dataplane/support/fake_backend.h"

namespace portico::testing {

struct Backend {
  std::string ip;
  int port;
};

// Routes: app.test/ → "default/app:http" (the given backends); orphan.test/ →
// a route without a cluster; empty.test/ → a cluster without endpoints.
v1::Snapshot AppSnapshot(const std::vector<Backend>& backends);

// One entrypoint socket on a free loopback port (bound, listening once its
// worker has a config), for a Worker's listener list; *port receives it.
dataplane::EntrypointListener LoopbackListener(dataplane::EntrypointSpec spec,
                                               dataplane::RequestCounters* counters,
                                               dataplane::ConnectionGauge* connections,
                                               int* port);

class ProxyUnderTest {
 public:
  explicit ProxyUnderTest(const v1::Snapshot& snapshot, dataplane::ProxyLimits limits = {},
                          dataplane::EntrypointSpec spec = {"web", "127.0.0.1", 0});
  ~ProxyUnderTest();
  void Apply(const v1::Snapshot& snapshot);
  int port() const { return port_; }
  const dataplane::RequestCounters& counters() const { return counters_; }
  int open_connections() const { return connections_.open.load(); }
  dataplane::Worker& worker() { return *worker_; }

 private:
  int port_ = 0;
  dataplane::RequestCounters counters_;
  dataplane::ConnectionGauge connections_;
  std::unique_ptr<dataplane::Worker> worker_;
};

std::string Get(const std::string& host, const std::string& path = "/");
FakeBackend::Handler Answer(const std::string& body);

}  // namespace portico::testing
