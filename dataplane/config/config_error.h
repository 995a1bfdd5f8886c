// ConfigError: why the proxy refuses a snapshot, for its log and for the
// NACK it sends the controller (SnapshotAck.error and .resource_keys).
#pragma once

#include <string>
#include <string_view>
#include <utility>

namespace portico::dataplane {

struct ConfigError {
  // Names the resource and what is wrong with it; never holds key material.
  std::string message;
  // "<kind>/<name>" of the resource to blame ("route/default/app-0",
  // "service/...", "cluster/...", "middleware/...", "certificate/...",
  // "tls_option/..."); empty when the snapshot as a whole is wrong.
  std::string resource_key;

  // Blames `kind`/`name` with `text`; false, for `return error->Blame(...)`.
  bool Blame(std::string_view kind, std::string_view name, std::string text) {
    message = std::move(text);
    resource_key.assign(kind).append("/").append(name);
    return false;
  }
};

}  // namespace portico::dataplane
