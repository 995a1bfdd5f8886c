// CompileContext: what the processors of one compile write into: candidate
// routes, diagnostics, and the shared ClusterResolver. Lives for one
// Compile call on one thread.
#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "controlplane/compiler/cluster_resolver.h"
#include "controlplane/compiler/compile_options.h"
#include "controlplane/compiler/compile_result.h"
#include "controlplane/model/cluster_state.h"

namespace portico::controlplane {

// (is a default backend, source object, rule index, path index): explicit
// rules beat default backends, then the lexically first object wins.
using RoutePrecedence = std::tuple<bool, std::string, size_t, size_t>;

// A route before conflicts are settled. Of several candidates with the same
// host, path kind and path, the one with the smallest `precedence` wins.
struct RouteCandidate {
  Route route;
  RoutePrecedence precedence;
};

// A TCP route before sorting; sorted by the same match order as routes.
struct TcpRouteCandidate {
  TcpRoute route;
  RoutePrecedence precedence;
};

// A route object's spec.entryPoints as routes carry them: sorted, unique.
inline std::vector<std::string> EntrypointSet(std::vector<std::string> names) {
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

class CompileContext {
 public:
  CompileContext(const ClusterState& state, const CompileOptions& options)
      : resolver_(state), options_(options) {}

  const CompileOptions& options() const { return options_; }

  ClusterResolver& resolver() { return resolver_; }
  void AddRoute(RouteCandidate candidate) { candidates_.push_back(std::move(candidate)); }
  void AddDiagnostic(Diagnostic diagnostic) { diagnostics_.push_back(std::move(diagnostic)); }
  std::vector<Certificate>& certificates() { return certificates_; }
  // Every service and middleware compiled so far, by name; the compiler
  // keeps those the winning routes use.
  std::map<std::string, BackendService>& services() { return services_; }
  std::map<std::string, Middleware>& middlewares() { return middlewares_; }
  std::vector<TlsOption>& tls_options() { return tls_options_; }
  std::string& default_certificate() { return default_certificate_; }
  // Every ServersTransport compiled without a problem, by name.
  std::map<std::string, ServersTransport>& servers_transports() { return servers_transports_; }

  // TCP and UDP: route candidates, and the MiddlewareTCPs and
  // ServersTransportTCPs compiled without a problem, by name.
  std::vector<TcpRouteCandidate>& tcp_candidates() { return tcp_candidates_; }
  std::vector<UdpRoute>& udp_routes() { return udp_routes_; }
  std::map<std::string, TcpMiddleware>& tcp_middlewares() { return tcp_middlewares_; }
  std::map<std::string, ServersTransportTcp>& tcp_servers_transports() {
    return tcp_servers_transports_;
  }

  std::vector<RouteCandidate>& candidates() { return candidates_; }
  std::vector<Diagnostic>& diagnostics() { return diagnostics_; }
  // CompileResult::valid_until, lowered by every certificate checked.
  int64_t& valid_until() { return valid_until_; }

 private:
  ClusterResolver resolver_;
  CompileOptions options_;
  std::vector<RouteCandidate> candidates_;
  std::vector<Diagnostic> diagnostics_;
  std::vector<Certificate> certificates_;
  std::map<std::string, BackendService> services_;
  std::map<std::string, Middleware> middlewares_;
  std::vector<TlsOption> tls_options_;
  std::string default_certificate_;
  std::map<std::string, ServersTransport> servers_transports_;
  std::vector<TcpRouteCandidate> tcp_candidates_;
  std::vector<UdpRoute> udp_routes_;
  std::map<std::string, TcpMiddleware> tcp_middlewares_;
  std::map<std::string, ServersTransportTcp> tcp_servers_transports_;
  int64_t valid_until_ = INT64_MAX;
};

}  // namespace portico::controlplane
