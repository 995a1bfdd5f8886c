// The request-target and Host header come straight from clients.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "dataplane/http/request_target.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::string path, authority, host;
  if (portico::dataplane::ParseRequestTarget(input, &path, &authority)) {
    if (path.empty() || path[0] != '/') __builtin_trap();
    // Every '%' left starts an escape that stays: a second pass is a no-op.
    if (portico::dataplane::RoutingPath(path) != path) __builtin_trap();
  }
  if (portico::dataplane::NormalizeHost(input, &host) && (host.empty() || host.back() == '.')) {
    __builtin_trap();
  }
  return 0;
}
