#include "controlplane/compiler/l4_route_processor.h"

#include <algorithm>
#include <limits>
#include <map>

#include "controlplane/compiler/ingress_class_selection.h"
#include "controlplane/compiler/provider_name.h"
#include "controlplane/compiler/servers_transport_compiler.h"
#include "controlplane/compiler/service_compiler.h"
#include "controlplane/rules/compile.h"
#include "controlplane/rules/matcher_values.h"

namespace portico::controlplane {
namespace {

using crd::Item;

// Whether the rule names a server (HostSNI other than `*`, HostSNIRegexp):
// a connection without TLS has no server name to compare.
bool NamesServer(const v1::Matcher& m) {
  auto any = [](const v1::MatcherList& list) {
    return std::any_of(list.matchers().begin(), list.matchers().end(), NamesServer);
  };
  switch (m.kind_case()) {
    case v1::Matcher::kAllOf:
      return any(m.all_of());
    case v1::Matcher::kAnyOf:
      return any(m.any_of());
    case v1::Matcher::kNot:
      return NamesServer(m.not_());
    case v1::Matcher::kHost:
    case v1::Matcher::kHostWildcard:
    case v1::Matcher::kHostRegexp:
      return true;
    default:
      return false;
  }
}

uint32_t Clamp32(int64_t value) {
  return static_cast<uint32_t>(std::clamp<int64_t>(value, 0, std::numeric_limits<uint32_t>::max()));
}

// The snapshot name of MiddlewareTCP `ref` ("<namespace>/<name>"),
// compiled into context->tcp_middlewares() once; "" after *reason and
// *error say why not.
std::string CompileTcpMiddleware(const ClusterState& state, const std::string& route_namespace,
                                 const crd::ObjectRef& ref, CompileContext* context,
                                 std::string* reason, std::string* error) {
  ObjectKey key;
  if (!ResolveMiddlewareReference(state.crds.middlewares_tcp, "MiddlewareTCP", route_namespace,
                                  context->options().allow_cross_namespace, ref, &key, reason,
                                  error)) {
    return "";
  }
  std::string name = key.str();
  if (context->tcp_middlewares().contains(name)) return name;
  const crd::MiddlewareTcpSpec& spec = state.crds.middlewares_tcp.at(key).spec;
  TcpMiddleware middleware{.name = name, .in_flight_conn = std::nullopt, .ip_allow_list = {}};
  if (spec.type == "inFlightConn") {
    middleware.in_flight_conn = Clamp32(spec.in_flight_conn_amount);
  } else {
    // The same normal form as ClientIP in rules ("10.1.2.3/8" → "10.0.0.0/8").
    for (size_t i = 0; i < spec.source_range.size(); ++i) {
      std::string canonical;
      if (std::string e = rules::CanonicalClientIp(spec.source_range[i], &canonical); !e.empty()) {
        *reason = "InvalidMiddleware";
        *error =
            "MiddlewareTCP " + name + ": spec.ipAllowList." + Item("sourceRange", i) + ": " + e;
        return "";
      }
      middleware.ip_allow_list.push_back(std::move(canonical));
    }
  }
  context->tcp_middlewares().emplace(name, std::move(middleware));
  return name;
}

// A TCP or UDP service reference's Service port as a backend of `protocol`.
template <typename Ref>
bool ResolveBackend(const Ref& ref, const std::string& owner_namespace, const std::string& protocol,
                    CompileContext* context, L4Backend* out, ServiceProblem* problem) {
  const std::string& ns = ref.namespace_name.empty() ? owner_namespace : ref.namespace_name;
  if (ns != owner_namespace && !context->options().allow_cross_namespace) {
    *problem = {"CrossNamespace", ".namespace",
                CrossNamespaceRefusal("Service " + ns + "/" + ref.name)};
    return false;
  }
  IngressBackend backend{
      .service_name = ref.name, .port_number = ref.port.number, .port_name = ref.port.name};
  ClusterResolution resolved = context->resolver().Resolve(ns, backend, protocol);
  if (resolved.cluster.empty()) {
    *problem = {resolved.reason, "", resolved.message};
    return false;
  }
  out->cluster = resolved.cluster;
  out->weight = ref.weight ? Clamp32(*ref.weight) : 1;
  return true;
}

// What the TCP route processor shares across one compile.
struct TcpCompile {
  const ClusterState& state;
  CompileContext* context;
  ServersTransportCompiler transports;
};

// `ref`'s ServersTransportTCP, and Traefik's deprecated per-service
// proxyProtocol and terminationDelay as a transport derived from it named
// `derived_name` (docs/ingress-route.md). Sets out->servers_transport.
bool ResolveTcpTransport(const crd::TcpServiceRef& ref, const std::string& service_namespace,
                         const std::string& derived_name, TcpCompile* tcp, L4Backend* out,
                         ServiceProblem* problem) {
  CompileContext* context = tcp->context;
  ServersTransportTcp derived;
  if (!ref.servers_transport.empty()) {
    const ObjectKey* key = FindServiceReference(tcp->state.crds.servers_transports_tcp,
                                                ref.servers_transport, service_namespace);
    if (key == nullptr) {
      *problem = {"ServersTransportNotFound", ".serversTransport",
                  "ServersTransportTCP " + ref.servers_transport + " does not exist in namespace " +
                      service_namespace};
      return false;
    }
    if (key->namespace_name != service_namespace && !context->options().allow_cross_namespace) {
      *problem = {"CrossNamespace", ".serversTransport",
                  CrossNamespaceRefusal("ServersTransportTCP " + key->str())};
      return false;
    }
    if (const std::string& why = tcp->transports.UseTcp(*key); !why.empty()) {
      *problem = {"InvalidServersTransport", ".serversTransport", why};
      return false;
    }
    out->servers_transport = key->str();
    derived = context->tcp_servers_transports().at(key->str());
  }
  const bool delay = ref.termination_delay_ms && *ref.termination_delay_ms > 0;
  if (!ref.proxy_protocol_version && !delay) return true;
  derived.name = derived_name;
  if (derived.tls) derived.tls->name = derived_name;
  if (ref.proxy_protocol_version)
    derived.proxy_protocol_version = Clamp32(*ref.proxy_protocol_version);
  if (delay) derived.termination_delay_ms = static_cast<uint64_t>(*ref.termination_delay_ms);
  out->servers_transport = derived_name;
  context->tcp_servers_transports().insert_or_assign(derived_name, std::move(derived));
  return true;
}

// Appends the route's middlewares; false after reporting the first that
// does not resolve.
template <typename Report>
bool AddTcpMiddlewares(const crd::IngressRouteTcp& object, const crd::TcpRoute& spec,
                       const Report& report, TcpCompile* tcp, TcpRoute* route) {
  for (size_t m = 0; m < spec.middlewares.size(); ++m) {
    std::string reason;
    std::string error;
    std::string name = CompileTcpMiddleware(tcp->state, object.meta.namespace_name,
                                            spec.middlewares[m], tcp->context, &reason, &error);
    if (name.empty()) {
      report(reason,
             "." + Item("middlewares", m) + ": " + error + "; the route closes its connections");
      return false;
    }
    route->middlewares.push_back(std::move(name));
  }
  return true;
}

template <typename Report>
bool AddTcpBackends(const crd::IngressRouteTcp& object, size_t index, const Report& report,
                    TcpCompile* tcp, TcpRoute* route) {
  const std::vector<crd::TcpServiceRef>& refs = object.spec.routes[index].services;
  if (refs.empty()) {
    report("NoService", ".services: no service; the route closes its connections");
    return false;
  }
  const std::string& ns = object.meta.namespace_name;
  for (size_t j = 0; j < refs.size(); ++j) {
    const crd::TcpServiceRef& ref = refs[j];
    L4Backend backend;
    ServiceProblem problem;
    const std::string& service_ns = ref.namespace_name.empty() ? ns : ref.namespace_name;
    bool ok = ResolveBackend(ref, ns, "TCP", tcp->context, &backend, &problem) &&
              ResolveTcpTransport(ref, service_ns, route->name + "/s" + std::to_string(j), tcp,
                                  &backend, &problem);
    if (!ok) {
      report(problem.reason, "." + Item("services", j) + problem.field + ": " + problem.message +
                                 "; the route closes its connections");
      return false;
    }
    if (ref.termination_delay_ms && *ref.termination_delay_ms <= 0) {
      // Traefik: 0 closes at once, negative never; the snapshot's 0 means
      // the default delay, so neither can be carried.
      report("Unsupported", "." + Item("services", j) +
                                ".terminationDelay: " + std::to_string(*ref.termination_delay_ms) +
                                " is not supported (only a positive delay); the transport's "
                                "delay applies");
    }
    backend.tls = ref.tls;
    route->backends.push_back(std::move(backend));
  }
  return true;
}

void CompileTcpRoute(const crd::IngressRouteTcp& object, size_t index, TcpCompile* tcp) {
  const crd::TcpRoute& spec = object.spec.routes[index];
  const std::string source = "IngressRouteTCP/" + object.meta.key().str();
  const std::string field = "spec." + Item("routes", index);
  auto report = [&](const std::string& reason, const std::string& message) {
    tcp->context->AddDiagnostic({source, reason, field + message});
  };
  if (!spec.syntax.empty() && spec.syntax != "v3") {
    report("Unsupported", ".syntax: only the v3 rule syntax is supported; the route is left out");
    return;
  }
  rules::CompileResult rule = rules::Compile(spec.match, rules::RuleKind::kTcp);
  if (!rule.ok()) {
    report("InvalidRule", ".match: " + rule.error.ToString() + "; the route is left out");
    return;
  }
  if (std::string e = rules::CheckPriority(spec.priority); !e.empty()) {
    report("InvalidPriority", ".priority: " + e + "; the route is left out");
    return;
  }
  if (!object.spec.tls && NamesServer(rule.rule->match)) {
    report("InvalidRule",
           ".match: HostSNI and HostSNIRegexp need spec.tls (a connection without TLS has no "
           "server name; only HostSNI(`*`) matches it); the route is left out");
    return;
  }
  TcpRoute route{.name = object.meta.key().str() + "/r" + std::to_string(index), .source = source};
  route.entrypoints = EntrypointSet(object.spec.entry_points);
  route.match.tree = std::make_shared<const v1::Matcher>(std::move(rule.rule->match));
  route.hosts = std::move(rule.rule->hosts);
  route.priority = rules::EffectivePriority(spec.priority, *rule.rule);
  if (object.spec.tls) {
    route.tls = true;
    route.passthrough = object.spec.tls->passthrough;
  }
  // Kept whatever happens below, closing its connections when it cannot be
  // served as written: leaving it out would hand them to a lower-priority
  // route without its middlewares.
  if (!AddTcpMiddlewares(object, spec, report, tcp, &route) ||
      !AddTcpBackends(object, index, report, tcp, &route)) {
    route.MakeUnservable();
  }
  tcp->context->tcp_candidates().push_back({std::move(route), {false, source, index, 0}});
}

// Takes the entrypoints `route` may serve from `owners` (entrypoint →
// route name; "" for every entrypoint), reporting the others. False when
// nothing is left for it.
template <typename Report>
bool ClaimEntrypoints(UdpRoute* route, std::map<std::string, std::string>* owners,
                      const Report& report) {
  auto every = owners->find("");
  if (every != owners->end()) {
    report("Conflict", "spec.entryPoints: every UDP entrypoint " +
                           std::string(route->entrypoints.empty() ? "" : "it names ") +
                           "is already served by IngressRouteUDP " + every->second +
                           " (no entryPoints, first in name order); left out");
    return false;
  }
  if (route->entrypoints.empty()) {
    std::string taken;
    for (const auto& [entrypoint, owner] : *owners) {
      taken += (taken.empty() ? "" : ", ") + entrypoint + " (" + owner + ")";
    }
    if (!taken.empty()) {
      report("Conflict",
             "spec.entryPoints: none given, but these UDP entrypoints are served by "
             "routes first in name order: " +
                 taken + "; it serves the others");
    }
    owners->emplace("", route->name);
    return true;
  }
  std::vector<std::string> kept;
  for (const std::string& entrypoint : route->entrypoints) {
    auto [it, inserted] = owners->emplace(entrypoint, route->name);
    if (inserted) {
      kept.push_back(entrypoint);
    } else {
      report("Conflict", "spec.entryPoints: UDP entrypoint " + entrypoint +
                             " is already served by IngressRouteUDP " + it->second +
                             " (first in name order); this route does not serve it");
    }
  }
  if (kept.empty()) return false;
  route->entrypoints = std::move(kept);
  return true;
}

void CompileUdpRoute(const crd::IngressRouteUdp& object, std::map<std::string, std::string>* owners,
                     CompileContext* context) {
  const std::string source = "IngressRouteUDP/" + object.meta.key().str();
  auto report = [&](const std::string& reason, const std::string& message) {
    context->AddDiagnostic({source, reason, message});
  };
  UdpRoute route{.name = object.meta.key().str(),
                 .source = source,
                 .entrypoints = EntrypointSet(object.spec.entry_points),
                 .backends = {}};
  if (!ClaimEntrypoints(&route, owners, report)) return;
  const std::vector<crd::UdpRoute>& routes = object.spec.routes;
  for (size_t i = 1; i < routes.size(); ++i) {
    report("Unsupported", "spec." + Item("routes", i) +
                              ": only the first route of an IngressRouteUDP is used (UDP "
                              "routes have no rule to choose between them); ignored");
  }
  if (routes.empty() || routes[0].services.empty()) {
    report("NoService", "spec.routes[0].services: no service; the route drops its datagrams");
  } else {
    for (size_t j = 0; j < routes[0].services.size(); ++j) {
      L4Backend backend;
      ServiceProblem problem;
      if (!ResolveBackend(routes[0].services[j], object.meta.namespace_name, "UDP", context,
                          &backend, &problem)) {
        report(problem.reason, "spec.routes[0]." + Item("services", j) + problem.field + ": " +
                                   problem.message + "; the route drops its datagrams");
        route.backends.clear();
        break;
      }
      route.backends.push_back(std::move(backend));
    }
  }
  context->udp_routes().push_back(std::move(route));
}

}  // namespace

void RunIngressRouteTcpProcessor(const ClusterState& state, CompileContext* context) {
  TcpCompile tcp{state, context, ServersTransportCompiler(state, context)};
  for (const auto& [key, object] : state.crds.ingress_routes_tcp) {
    if (!ClassSelects(object, context->options())) continue;
    for (size_t i = 0; i < object.spec.routes.size(); ++i) CompileTcpRoute(object, i, &tcp);
  }
}

void RunIngressRouteUdpProcessor(const ClusterState& state, CompileContext* context) {
  // Source-name order ("IngressRouteUDP/<namespace>/<name>" as a string),
  // the order the snapshot lists them in.
  std::map<std::string, const crd::IngressRouteUdp*> by_source;
  for (const auto& [key, object] : state.crds.ingress_routes_udp) {
    if (ClassSelects(object, context->options())) by_source.emplace(key.str(), &object);
  }
  std::map<std::string, std::string> owners;
  for (const auto& [source, object] : by_source) CompileUdpRoute(*object, &owners, context);
}

}  // namespace portico::controlplane
