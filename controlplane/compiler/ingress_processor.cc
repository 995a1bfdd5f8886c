#include "controlplane/compiler/ingress_processor.h"

#include "controlplane/compiler/durations.h"
#include "controlplane/compiler/ingress_class_selection.h"
#include "controlplane/crd/value_checks.h"

namespace portico::controlplane {
namespace {

std::string SourceName(const Ingress& ingress) { return "Ingress/" + ingress.meta.key().str(); }

// The length of the rule Traefik writes for an Ingress path,
// Host(`h`) && PathPrefix(`p`), as its default priority (compiler.h).
int64_t IngressPriority(const std::string& host, const std::string& path) {
  constexpr size_t kPathPrefix = sizeof("PathPrefix(``)") - 1;
  constexpr size_t kHostAnd = sizeof("Host(``) && ") - 1;
  return static_cast<int64_t>(kPathPrefix + path.size() + (host.empty() ? 0 : kHostAnd + host.size()));
}

// Kubernetes ignores a trailing '/' on Prefix paths ("/foo/" matches "/foo").
std::string NormalizePrefix(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  return path;
}

void AddRoute(const Ingress& ingress, Route route, const IngressBackend& backend,
              std::tuple<bool, std::string, size_t, size_t> precedence, CompileContext* context) {
  ClusterResolution resolved = context->resolver().Resolve(ingress.meta.namespace_name, backend);
  route.cluster = resolved.cluster;
  if (resolved.cluster.empty()) {
    context->AddDiagnostic(
        {route.source, resolved.reason,
         "route " + route.name + ": " + resolved.message + "; the route answers 503"});
  } else if (resolved.https_port) {
    // Reached over TLS with the default transport: one service per cluster.
    route.service = resolved.cluster + "/https";
    context->services().try_emplace(
        route.service, BackendService{.name = route.service,
                                      .kind = LoadBalancedService{.cluster = resolved.cluster,
                                                                  .scheme = "https"}});
  }
  context->AddRoute({std::move(route), std::move(precedence)});
}

// The timeouts the Portico annotations set for every route of `ingress`;
// a bad value is reported and ignored.
RouteTimeouts AnnotatedTimeouts(const Ingress& ingress, CompileContext* context) {
  RouteTimeouts timeouts;
  for (auto [name, out] :
       {std::pair{kConnectTimeoutAnnotation, &timeouts.connect_ms},
        std::pair{kResponseHeaderTimeoutAnnotation, &timeouts.response_header_ms},
        std::pair{kRequestTimeoutAnnotation, &timeouts.total_ms}}) {
    auto annotation = ingress.portico_annotations.find(std::string(name));
    if (annotation == ingress.portico_annotations.end()) continue;
    std::chrono::nanoseconds duration{};
    if (crd::ParseTraefikDuration(annotation->second, &duration) && duration.count() > 0) {
      *out = Milliseconds(duration);
      continue;
    }
    context->AddDiagnostic({SourceName(ingress), "InvalidAnnotation",
                            "metadata.annotations[" + std::string(name) +
                                "]: must be a positive duration such as \"5s\", \"1m30s\" or "
                                "a number of seconds, got " +
                                Quoted(annotation->second) + "; ignored"});
  }
  return timeouts;
}

void CompileIngress(const Ingress& ingress, CompileContext* context) {
  const std::string source = SourceName(ingress);
  const RouteTimeouts timeouts = AnnotatedTimeouts(ingress, context);
  const std::string prefix = ingress.meta.key().str() + "/";
  for (size_t r = 0; r < ingress.rules.size(); ++r) {
    const IngressRule& rule = ingress.rules[r];
    for (size_t p = 0; p < rule.paths.size(); ++p) {
      const IngressPath& path = rule.paths[p];
      bool exact = path.type == PathType::kExact;
      Route route{.name = prefix + "r" + std::to_string(r) + "/p" + std::to_string(p),
                  .host = rule.host,
                  .kind = exact ? PathKind::kExact : PathKind::kPrefix,
                  .path = exact ? path.path : NormalizePrefix(path.path),
                  .source = source};
      route.priority = IngressPriority(rule.host, path.path);
      route.timeouts = timeouts;
      if (!rule.host.empty()) route.hosts = {rule.host};
      AddRoute(ingress, std::move(route), path.backend, {false, source, r, p}, context);
    }
  }
  if (ingress.default_backend) {
    Route route{.name = prefix + "default",
                .host = "",
                .kind = PathKind::kPrefix,
                .path = "/",
                .source = source};
    route.timeouts = timeouts;
    AddRoute(ingress, std::move(route), *ingress.default_backend, {true, source, 0, 0}, context);
  }
}

}  // namespace

void RunIngressProcessor(const ClusterState& state, CompileContext* context) {
  for (const auto& [key, ingress] : state.ingresses) RunIngressProcessorFor(state, ingress, context);
}

void RunIngressProcessorFor(const ClusterState& state, const Ingress& ingress,
                            CompileContext* context) {
  if (ClassSelects(state, ingress, context->options())) CompileIngress(ingress, context);
}

}  // namespace portico::controlplane
