#include "controlplane/compiler/route_order.h"

#include "absl/strings/str_cat.h"

namespace portico::controlplane {
namespace {

void Append(std::string* out, const std::string& part) {
  absl::StrAppend(out, part.size(), ":", part);
}

}  // namespace

std::string ClaimKey(const Route& route, const std::string& rule_bytes) {
  std::string key;
  Append(&key, route.host);
  absl::StrAppend(&key, static_cast<int>(route.kind), route.tls ? "t" : "p");
  Append(&key, route.path);
  Append(&key, rule_bytes);
  for (const std::string& entrypoint : route.entrypoints) Append(&key, entrypoint);
  return key;
}

}  // namespace portico::controlplane
