// ServersTransportCompiler: Traefik's ServersTransport objects into what
// proxies need to reach https backends (compile_result.h ServersTransport):
// the CA bundles of rootCAs Secrets and the client certificates of
// certificatesSecrets, read and checked (parsable, key matches the
// certificate). A transport that cannot be served as written (a Secret
// missing, a bad PEM, a key that does not match, a setting the proxy does
// not implement) is left out with a diagnostic on it, and each service
// that names it is refused with the same reason, so its routes answer 503
// rather than reach the backend with weaker TLS. Each transport is
// compiled once per compile, whatever number of services name it. Pure;
// one per compile, one thread.
#pragma once

#include <map>
#include <string>

#include "controlplane/compiler/compile_context.h"
#include "controlplane/model/cluster_state.h"

namespace portico::controlplane {

class ServersTransportCompiler {
 public:
  ServersTransportCompiler(const ClusterState& state, CompileContext* context)
      : state_(state), context_(context) {}

  // Compiles the ServersTransport `key` (it exists in the state) into
  // context->servers_transports(). "" when it is usable; else why not,
  // naming the transport and the field, never a secret value.
  const std::string& Use(const ObjectKey& key);

 private:
  std::string Compile(const ObjectKey& key, ServersTransport* out) const;

  const ClusterState& state_;
  CompileContext* context_;
  std::map<ObjectKey, std::string> problems_;  // compiled ones: "" or the problem
};

}  // namespace portico::controlplane
