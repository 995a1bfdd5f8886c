// ReflectorHarness: a loop, a ScriptedApiServer, a KubeApiClient pointed at
// it and one Reflector of Services, recording every Delta as text
// ("ADDED default/a 11"). Backoff is shortened so retries are quick. The
// destructor closes everything and checks the loop ends with no handle left.
#pragma once

#include <uv.h>

#include <memory>
#include <string>
#include <vector>

#include "controlplane/kube/kube_api_client.h"
#include "controlplane/kube/reflector.h"
#include "tests/controlplane/kube/support/loop_wait.h"
#include "tests/controlplane/kube/support/scripted_api_server.h"

namespace portico::controlplane::testing {

inline constexpr char kServices[] = "/api/v1/services";

ResourceKind ServiceKind();

class ReflectorHarness {
 public:
  ReflectorHarness();
  ~ReflectorHarness();

  // Starts the client (with `config`, its server set to the scripted one)
  // and the reflector.
  void Start(KubeConfig config = {}, ReflectorOptions options = {});
  bool RunUntil(const std::function<bool()>& done, uint64_t timeout_ms = 10'000) {
    return testing::RunUntil(&loop, done, timeout_ms);
  }
  // Runs until the server has seen `n` requests.
  bool WaitForRequests(size_t n) {
    return RunUntil([&] { return server.requests().size() >= n; });
  }
  // The resourceVersion each stored object has, "key@rv" in key order.
  std::vector<std::string> Stored() const;

  uv_loop_t loop{};
  ScriptedApiServer server;
  std::unique_ptr<KubeApiClient> client;
  std::unique_ptr<Reflector> reflector;
  std::vector<std::string> deltas;
  int listed = 0;
};

}  // namespace portico::controlplane::testing
