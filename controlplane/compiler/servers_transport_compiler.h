// ServersTransportCompiler: Traefik's ServersTransport objects into what
// proxies need to reach https backends (compile_result.h ServersTransport):
// the CA bundles of rootCAs Secrets and the client certificates of
// certificatesSecrets, read and checked (parsable, key matches the
// certificate). A transport that cannot be served as written (a Secret
// missing, a bad PEM, a key that does not match, a setting the proxy does
// not implement) is left out with a diagnostic on it, and each service
// that names it is refused with the same reason, so its routes answer 503
// rather than reach the backend with weaker TLS. Each transport is
// compiled once per compile, whatever number of services name it.
// ServersTransportTCPs likewise (for IngressRouteTCP services). Pure;
// one per compile, one thread.
#pragma once

#include <map>
#include <string>

#include "controlplane/compiler/compile_context.h"
#include "controlplane/model/cluster_state.h"

namespace portico::controlplane {

// The TLS settings HTTP and TCP transports share (serverName,
// insecureSkipVerify, rootCAs, certificatesSecrets, peerCertURI) into *out,
// Secrets read from `namespace_name`. "" or the problem, naming the field
// after `prefix` ("spec.", "spec.tls."), never a secret value.
std::string CompileBackendTls(const ClusterState& state, const crd::BackendTls& tls,
                              const std::string& namespace_name, const std::string& prefix,
                              ServersTransport* out);

class ServersTransportCompiler {
 public:
  ServersTransportCompiler(const ClusterState& state, CompileContext* context)
      : state_(state), context_(context) {}

  // Compiles the ServersTransport `key` (it exists in the state) into
  // context->servers_transports(). "" when it is usable; else why not,
  // naming the transport and the field, never a secret value.
  const std::string& Use(const ObjectKey& key);
  // The same for the ServersTransportTCP `key`, into
  // context->tcp_servers_transports(); its TLS block is built as an HTTP
  // transport's (same refusals).
  const std::string& UseTcp(const ObjectKey& key);

 private:
  // What differs between the two kinds: the object kind's name, how one is
  // compiled, and what a broken one means for its users.
  template <typename Transport>
  struct Kind {
    std::string name;
    std::string (ServersTransportCompiler::*compile)(const ObjectKey&, Transport*) const;
    std::string consequence;
  };
  template <typename Transport>
  const std::string& CompileOnce(const ObjectKey& key, const Kind<Transport>& kind,
                                 std::map<ObjectKey, std::string>* problems,
                                 std::map<std::string, Transport>* compiled);
  std::string Compile(const ObjectKey& key, ServersTransport* out) const;
  std::string CompileTcp(const ObjectKey& key, ServersTransportTcp* out) const;

  const ClusterState& state_;
  CompileContext* context_;
  std::map<ObjectKey, std::string> problems_;  // compiled ones: "" or the problem
  std::map<ObjectKey, std::string> tcp_problems_;
};

}  // namespace portico::controlplane
