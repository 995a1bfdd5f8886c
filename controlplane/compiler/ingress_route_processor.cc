#include "controlplane/compiler/ingress_route_processor.h"

#include <algorithm>

#include "controlplane/compiler/durations.h"
#include "controlplane/compiler/ingress_class_selection.h"
#include "controlplane/compiler/provider_name.h"
#include "controlplane/compiler/service_compiler.h"
#include "controlplane/rules/compile.h"

namespace portico::controlplane {
namespace {

std::string SourceName(const crd::IngressRoute& route) {
  return "IngressRoute/" + route.meta.key().str();
}

std::string RouteField(size_t index) { return "spec.routes[" + std::to_string(index) + "]"; }

// The snapshot name of middleware `ref` ("<namespace>/<name>"), compiled
// into context->middlewares() once; "" when it does not resolve (*error
// says why).
std::string CompileMiddleware(const ClusterState& state, const std::string& route_namespace,
                              const crd::ObjectRef& ref, CompileContext* context,
                              std::string* reason, std::string* error) {
  ObjectKey key;
  if (!ResolveMiddlewareReference(state.crds.middlewares, "middleware", route_namespace,
                                  context->options().allow_cross_namespace, ref, &key, reason,
                                  error)) {
    return "";
  }
  std::string name = key.str();
  if (context->middlewares().contains(name)) return name;
  const crd::MiddlewareSpec& spec = state.crds.middlewares.at(key).spec;
  Middleware middleware{.name = name, .type = spec.type, .retry = std::nullopt};
  if (const auto* retry = std::get_if<crd::Retry>(&spec.config)) {
    RetryPolicy& policy = middleware.retry.emplace();
    policy.attempts = static_cast<uint32_t>(retry->attempts);
    if (retry->initial_interval) {
      policy.initial_interval_ms = Milliseconds(*retry->initial_interval);
    }
    policy.retry_non_idempotent = retry->retry_non_idempotent_method;
    policy.disable_on_network_error = retry->disable_retry_on_network_error;
  }
  context->middlewares().emplace(name, std::move(middleware));
  return name;
}

// Appends the route's middlewares to route->middlewares; false, after
// reporting why, when one does not resolve.
template <typename Report>
bool AddMiddlewares(const ClusterState& state, const crd::IngressRoute& object,
                    const crd::HttpRoute& spec, const Report& report, Route* route,
                    CompileContext* context) {
  for (size_t m = 0; m < spec.middlewares.size(); ++m) {
    const std::string where = ".middlewares[" + std::to_string(m) + "]";
    std::string reason;
    std::string error;
    std::string name = CompileMiddleware(state, object.meta.namespace_name, spec.middlewares[m],
                                         context, &reason, &error);
    if (name.empty()) {
      report(reason, where + ": " + error + "; the route answers 503");
      return false;
    }
    const Middleware& middleware = context->middlewares().at(name);
    if (!middleware.retry) {
      report("NotExecuted", where + ": middleware " + name + " (" + middleware.type +
                                ") is not executed by the proxy yet; the proxy answers 503 on "
                                "this route rather than pass traffic without it");
    }
    route->middlewares.push_back(std::move(name));
  }
  return true;
}

RouteTimeouts ToTimeouts(const crd::RouteTimeoutsSpec& spec) {
  auto ms = [](const std::optional<crd::Duration>& d) { return d ? Milliseconds(*d) : 0; };
  return {.connect_ms = ms(spec.connect),
          .response_header_ms = ms(spec.response_headers),
          .total_ms = ms(spec.total)};
}

void CompileRoute(const ClusterState& state, const crd::IngressRoute& object, size_t index,
                  ServiceCompiler* services, CompileContext* context) {
  const crd::HttpRoute& spec = object.spec.routes[index];
  const std::string source = SourceName(object);
  const std::string field = RouteField(index);
  auto report = [&](const std::string& reason, const std::string& message) {
    context->AddDiagnostic({source, reason, field + message});
  };

  if (!spec.syntax.empty() && spec.syntax != "v3") {
    report("Unsupported", ".syntax: only the v3 rule syntax is supported; the route is left out");
    return;
  }
  rules::CompileResult rule = rules::Compile(spec.match, rules::RuleKind::kHttp);
  if (!rule.ok()) {
    report("InvalidRule", ".match: " + rule.error.ToString() + "; the route is left out");
    return;
  }
  if (std::string e = rules::CheckPriority(spec.priority); !e.empty()) {
    report("InvalidPriority", ".priority: " + e + "; the route is left out");
    return;
  }

  Route route{.name = object.meta.key().str() + "/r" + std::to_string(index),
              .host = "",
              .kind = PathKind::kPrefix,
              .path = "",
              .cluster = "",
              .source = source};
  route.match.tree = std::make_shared<const v1::Matcher>(std::move(rule.rule->match));
  route.hosts = std::move(rule.rule->hosts);
  route.priority = rules::EffectivePriority(spec.priority, *rule.rule);
  route.entrypoints = EntrypointSet(object.spec.entry_points);

  // The route stays in the snapshot whatever happens below, answering 503
  // when it cannot be served as written: leaving it out would hand its
  // requests to a lower-priority route without its middlewares.
  bool servable = AddMiddlewares(state, object, spec, report, &route, context);
  if (servable) {
    ServiceProblem problem;
    route.service = services->CompileRoute(object, index, &problem);
    if (route.service.empty()) {
      report(problem.reason, problem.field + ": " + problem.message + "; the route answers 503");
      servable = false;
    }
  }
  if (!servable) route.middlewares.clear();
  if (spec.timeouts) route.timeouts = ToTimeouts(*spec.timeouts);
  // Among routes of equal priority the lexically first object, then the
  // first route within it, wins (compiler.h).
  context->AddRoute({std::move(route), {false, source, index, 0}});
}

}  // namespace

void RunIngressRouteProcessor(const ClusterState& state, CompileContext* context) {
  ServiceCompiler services(state, context);
  services.CompileWeightedServices();
  for (const auto& [key, object] : state.crds.ingress_routes) {
    if (!ClassSelects(object, context->options())) continue;
    for (size_t i = 0; i < object.spec.routes.size(); ++i) {
      CompileRoute(state, object, i, &services, context);
    }
  }
}

}  // namespace portico::controlplane
