#include "controlplane/compiler/ingress_route_processor.h"

#include <algorithm>

#include "controlplane/compiler/ingress_class_selection.h"
#include "controlplane/rules/compile.h"

namespace portico::controlplane {
namespace {

std::string SourceName(const crd::IngressRoute& route) {
  return "IngressRoute/" + route.meta.key().str();
}

std::string RouteField(size_t index) { return "spec.routes[" + std::to_string(index) + "]"; }

// A middleware reference: "name", "name@namespace"-less with `namespace`, or
// Traefik's "<namespace>-<name>@kubernetescrd" form. Returns the key or
// sets *error.
bool ResolveMiddleware(const ClusterState& state, const std::string& route_namespace,
                       const crd::ObjectRef& ref, ObjectKey* key, std::string* error) {
  std::string name = ref.name;
  std::string namespace_name = ref.namespace_name.empty() ? route_namespace : ref.namespace_name;
  if (size_t at = name.find('@'); at != std::string::npos) {
    std::string provider = name.substr(at + 1);
    if (provider != "kubernetescrd") {
      *error = "middleware " + name + ": only @kubernetescrd references resolve here";
      return false;
    }
    name = name.substr(0, at);
    // Traefik names CRD middlewares "<namespace>-<name>" across namespaces.
    if (ref.namespace_name.empty()) {
      for (const auto& [candidate, middleware] : state.crds.middlewares) {
        if (candidate.namespace_name + "-" + candidate.name == name) {
          *key = candidate;
          return true;
        }
      }
    }
  }
  *key = {namespace_name, name};
  if (!state.crds.middlewares.contains(*key)) {
    *error = "middleware " + key->str() + " does not exist";
    return false;
  }
  return true;
}

void CompileRoute(const ClusterState& state, const crd::IngressRoute& object, size_t index,
                  CompileContext* context) {
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
  route.entrypoints = object.spec.entry_points;
  std::sort(route.entrypoints.begin(), route.entrypoints.end());
  route.entrypoints.erase(std::unique(route.entrypoints.begin(), route.entrypoints.end()),
                          route.entrypoints.end());

  // The route stays in the snapshot whatever happens below, answering 503
  // when it cannot be served as written: leaving it out would hand its
  // requests to a lower-priority route without its middlewares.
  std::string unservable;
  for (size_t m = 0; m < spec.middlewares.size() && unservable.empty(); ++m) {
    ObjectKey key;
    std::string error;
    const std::string where = ".middlewares[" + std::to_string(m) + "]";
    if (!ResolveMiddleware(state, object.meta.namespace_name, spec.middlewares[m], &key,
                           &error)) {
      report("MiddlewareNotFound", where + ": " + error + "; the route answers 503");
      unservable = error;
    } else {
      const crd::Middleware& middleware = state.crds.middlewares.at(key);
      report("Unsupported", where + ": middleware " + key.str() + " (" + middleware.spec.type +
                                ") is not executed by the proxy yet; the route answers 503 "
                                "rather than pass traffic without it");
      unservable = "middleware";
    }
  }
  if (unservable.empty()) {
    if (spec.services.empty()) {
      report("NoService", ".services: no service; the route answers 503");
    } else if (spec.services.size() > 1) {
      report("Unsupported", ".services: weighted round robin over " +
                                std::to_string(spec.services.size()) +
                                " services is not served yet; the route answers 503");
    } else {
      const crd::ServiceRef& service = spec.services[0];
      const std::string where = ".services[0]";
      if (service.kind != crd::ServiceKind::kService) {
        report("Unsupported", where + ": WeightedService backends are not served yet; the route "
                                      "answers 503");
      } else if (!service.namespace_name.empty() &&
                 service.namespace_name != object.meta.namespace_name &&
                 !context->options().allow_cross_namespace) {
        report("CrossNamespace", where + ".namespace: " + service.namespace_name +
                                     " is another namespace, refused (cross-namespace "
                                     "references are off, --allow-cross-namespace); the route "
                                     "answers 503");
      } else if (!service.middlewares.empty()) {
        report("Unsupported", where + ".middlewares: service middlewares are not executed by "
                                      "the proxy yet; the route answers 503");
      } else {
        IngressBackend backend{.service_name = service.name,
                               .port_number = service.port.number,
                               .port_name = service.port.name};
        const std::string& service_namespace =
            service.namespace_name.empty() ? object.meta.namespace_name : service.namespace_name;
        ClusterResolution resolved = context->resolver().Resolve(service_namespace, backend);
        route.cluster = resolved.cluster;
        if (resolved.cluster.empty()) {
          report(resolved.reason, where + ": " + resolved.message + "; the route answers 503");
        }
      }
    }
  }
  // Among routes of equal priority the lexically first object, then the
  // first route within it, wins (compiler.h).
  context->AddRoute({std::move(route), {false, source, index, 0}});
}

}  // namespace

void RunIngressRouteProcessor(const ClusterState& state, CompileContext* context) {
  for (const auto& [key, object] : state.crds.ingress_routes) {
    if (!ClassSelects(object, context->options())) continue;
    for (size_t i = 0; i < object.spec.routes.size(); ++i) CompileRoute(state, object, i, context);
  }
}

}  // namespace portico::controlplane
