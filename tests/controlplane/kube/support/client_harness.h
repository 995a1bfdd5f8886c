// ClientHarness: a loop, a ScriptedApiServer and a started KubeApiClient
// pointed at it, for tests of what sits directly on the client (requests
// with bodies, the leader elector). The destructor closes the client and
// checks the loop ends with no handle left; declare what uses the client
// after the harness, so that it is destroyed (and closes itself) first.
#pragma once

#include <uv.h>

#include <catch2/catch.hpp>
#include <functional>
#include <memory>

#include "controlplane/kube/kube_api_client.h"
#include "tests/controlplane/kube/support/loop_wait.h"
#include "tests/controlplane/kube/support/scripted_api_server.h"

namespace portico::controlplane::testing {

class ClientHarness {
 public:
  ClientHarness() {
    uv_loop_init(&loop);
    REQUIRE(server.Start().empty());
    KubeConfig config;
    config.server = server.url();
    client = std::make_unique<KubeApiClient>(&loop, config);
    REQUIRE(client->Start().empty());
  }
  ~ClientHarness() {
    client->Close();
    server.Stop();
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK(uv_loop_close(&loop) == 0);
  }
  bool RunUntil(const std::function<bool()>& done, uint64_t timeout_ms = 10'000) {
    return testing::RunUntil(&loop, done, timeout_ms);
  }

  uv_loop_t loop{};
  ScriptedApiServer server;
  std::unique_ptr<KubeApiClient> client;
};

}  // namespace portico::controlplane::testing
