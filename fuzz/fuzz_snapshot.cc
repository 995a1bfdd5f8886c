// Snapshot bytes from the controller are untrusted by the proxy: any input
// must either build a config or be refused with an error, never crash.
#include <cstddef>
#include <cstdint>
#include <string>

#include "dataplane/config/runtime_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  portico::v1::Snapshot snapshot;
  if (!snapshot.ParseFromArray(data, static_cast<int>(size))) return 0;
  std::string error;
  auto config = portico::dataplane::RuntimeConfig::Build(snapshot, &error);
  if (config != nullptr) {
    for (const auto& route : snapshot.routes()) {
      config->routes().Match({.host = route.host(), .path = route.path().path()});
    }
  } else if (error.empty()) {
    __builtin_trap();  // a refusal must say why
  }
  return 0;
}
