#include "tests/controlplane/kube/support/reflector_harness.h"

#include <catch2/catch.hpp>

namespace portico::controlplane::testing {

ResourceKind ServiceKind() { return {.version = "v1", .resource = "services", .kind = "Service"}; }

ReflectorHarness::ReflectorHarness() {
  uv_loop_init(&loop);
  REQUIRE(server.Start() == "");
}

ReflectorHarness::~ReflectorHarness() {
  if (reflector) reflector->Close();
  if (client) client->Close();
  server.Stop();
  uv_run(&loop, UV_RUN_DEFAULT);
  CHECK(uv_loop_close(&loop) == 0);
}

void ReflectorHarness::Start(KubeConfig config, ReflectorOptions options) {
  config.server = server.url();
  client = std::make_unique<KubeApiClient>(&loop, config);
  REQUIRE(client->Start() == "");
  if (options.kind.resource.empty()) options.kind = ServiceKind();
  options.backoff = {.initial_ms = 20, .max_ms = 200};
  options.seed = 7;
  reflector = std::make_unique<Reflector>(
      &loop, client.get(), options,
      [this](const Delta& d) {
        const char* type = d.type == DeltaType::kAdded      ? "ADDED"
                           : d.type == DeltaType::kModified ? "MODIFIED"
                                                            : "DELETED";
        deltas.push_back(std::string(type) + " " + d.key + " " +
                         (*d.object)["metadata"]["resourceVersion"].GetString());
      },
      [this] { listed++; });
  reflector->Start();
}

std::vector<std::string> ReflectorHarness::Stored() const {
  std::vector<std::string> out;
  for (const auto& [key, object] : reflector->objects()) {
    out.push_back(key + "@" + (*object)["metadata"]["resourceVersion"].GetString());
  }
  return out;
}

}  // namespace portico::controlplane::testing
