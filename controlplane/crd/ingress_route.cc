#include "controlplane/crd/ingress_route.h"

namespace portico::controlplane::crd {
namespace {

void ReadObservability(CrdReader& r, RouteObservability* out) {
  r.Bool("accessLogs", &out->access_logs);
  r.Bool("metrics", &out->metrics);
  r.Bool("tracing", &out->tracing);
  r.Enum("traceVerbosity", {"minimal", "detailed"}, &out->trace_verbosity);
}

void ReadTimeouts(CrdReader& r, RouteTimeoutsSpec* out) {
  r.Duration("connect", &out->connect);
  r.Duration("responseHeaders", &out->response_headers);
  r.Duration("total", &out->total);
  for (auto [name, value] : {std::pair{"connect", out->connect},
                             std::pair{"responseHeaders", out->response_headers},
                             std::pair{"total", out->total}}) {
    if (value && value->count() <= 0) r.Fail(name, "must be positive");
  }
}

void ReadRoute(CrdReader& r, HttpRoute* out) {
  std::string kind;
  r.String("match", &out->match, Need::kRequired);
  r.Enum("kind", {"Rule"}, &kind);
  r.Int("priority", &out->priority, {.max = kMaxRoutePriority});
  r.Enum("syntax", {"v3", "v2"}, &out->syntax);
  r.List("middlewares", &out->middlewares, ReadObjectRef);
  r.OptionalObject("observability", &out->observability, ReadObservability);
  r.List("services", &out->services, ReadServiceRef);
  r.OptionalObject("timeouts", &out->timeouts, ReadTimeouts);
}

}  // namespace

void ReadIngressRouteSpec(CrdReader& r, IngressRouteSpec* out) {
  r.String("ingressClassName", &out->ingress_class_name);
  r.StringList("entryPoints", &out->entry_points);
  r.List("parentRefs", &out->parent_refs, ReadObjectRef);
  r.List("routes", &out->routes, ReadRoute, Need::kRequired);
  r.OptionalObject("tls", &out->tls,
                   [](CrdReader& tls, RouteTls* t) { ReadRouteTls(tls, t, false); });
  if (out->parent_refs.empty()) return;
  // A child route is reached through its parents' routers, which own these.
  if (!out->entry_points.empty()) r.Fail("entryPoints", "must not be set with parentRefs");
  if (out->tls) r.Fail("tls", "must not be set with parentRefs");
  for (size_t i = 0; i < out->routes.size(); ++i) {
    if (out->routes[i].observability) {
      r.Fail(Item("routes", i) + ".observability", "must not be set with parentRefs");
    }
  }
}

std::string DecodeCrd(const JsonField& object, IngressRoute* out) {
  if (std::string e = DecodeCrdInfo(object, &out->crd); !e.empty()) return e;
  return DecodeSpec(object, &ReadIngressRouteSpec, &out->spec, &out->crd.warnings);
}

}  // namespace portico::controlplane::crd
