// A health check's redirect Location comes straight from the backend.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "dataplane/upstream/health_request.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view location(reinterpret_cast<const char*>(data), size);
  for (std::string_view scheme : {"", "https"}) {
    auto path = portico::dataplane::SameEndpointRedirect(location, "/a/health?x=1", scheme,
                                                         "svc.example", "10.0.0.1:8080");
    // What is followed goes into a request line: a path without spaces or controls.
    if (!path) continue;
    if (path->empty() || (*path)[0] != '/') __builtin_trap();
    for (char c : *path) {
      if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) __builtin_trap();
    }
  }
  return 0;
}
