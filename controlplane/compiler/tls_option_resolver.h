// TlsOptionResolver: Traefik's TLSOptions, checked once per compile, and
// the references routes make to them. A TLSOption named `default` (in any
// namespace) is the default option of every TLS route; two of them are an
// error and the built-in defaults apply. A TLSOption that cannot be served
// as written (a clientAuth CA Secret missing or without a CA bundle, an
// ALPN name too long) is left out with a diagnostic on it, and routes that
// name it are told why (they answer 503: serving them with other options
// could drop client authentication). Pure; one per compile, one thread.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "controlplane/compiler/compile_context.h"
#include "controlplane/crd/service_ref.h"
#include "controlplane/model/cluster_state.h"

namespace portico::controlplane {

// Traefik's (Go's) TLS names as proxies take them, shared with
// ServersTransport: "VersionTLS12" → kTls12 (kUnspecified for ""), Go's
// cipher suite spellings → IANA's, and whether a suite is TLS 1.3's (not
// configurable).
TlsVersion TlsVersionNamed(const std::string& name);
std::string CipherName(const std::string& name);
bool IsTls13Suite(const std::string& name);

// Appends the CA certificates of Secret `secret_key` (Traefik reads tls.ca,
// else ca.crt) to *bundle after checking they parse. Returns "" or the
// problem, to follow the Secret's name (" not found", ": ca.crt: ..."),
// never a value.
std::string AppendCaBundle(const ClusterState& state, const ObjectKey& secret_key,
                           std::string* bundle);

class TlsOptionResolver {
 public:
  // Checks every TLSOption of `state`; diagnostics go to *context.
  TlsOptionResolver(const ClusterState& state, CompileContext* context);

  // Resolves a route's reference (IngressRoute tls.options; an Ingress's
  // portico.dev/tls-options annotation as {name, namespace}). On success
  // sets *option (a TlsOption name; "" for the default option) and returns
  // true; else sets *reason and *error.
  bool Resolve(const std::string& route_namespace, const crd::ObjectRef& ref, std::string* option,
               std::string* reason, std::string* error);

  // The options resolved so far and the `default` one, sorted by name.
  std::vector<TlsOption> Used() const;

 private:
  const ClusterState& state_;
  const CompileOptions& options_;
  std::map<ObjectKey, TlsOption> valid_;      // every servable TLSOption but `default`
  std::map<ObjectKey, std::string> invalid_;  // why not, for references
  std::optional<TlsOption> default_;
  std::map<std::string, const TlsOption*> used_;
};

}  // namespace portico::controlplane
