// A decoded IngressRoute (HTTP routes of portico.dev/v1alpha1 or Traefik's
// traefik.io/v1alpha1): routes with a `match` rule kept as text (parsed by
// controlplane/rules), middlewares and services by reference. Plain values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "controlplane/crd/crd_object.h"
#include "controlplane/crd/crd_reader.h"
#include "controlplane/crd/route_tls.h"
#include "controlplane/crd/service_ref.h"
#include "controlplane/model/object_meta.h"

namespace portico::controlplane::crd {

// Traefik's limit: priorities above it are kept for internal routers.
inline constexpr int64_t kMaxRoutePriority = INT64_MAX - 1000;

struct RouteObservability {
  std::optional<bool> access_logs;
  std::optional<bool> metrics;
  std::optional<bool> tracing;
  std::string trace_verbosity;  // "", "minimal" or "detailed"
};

// Portico extension: per-route timeouts (Traefik has none).
struct RouteTimeoutsSpec {
  std::optional<Duration> connect;
  std::optional<Duration> response_headers;
  std::optional<Duration> total;
};

struct HttpRoute {
  std::string match;
  int64_t priority = 0;  // 0: the rule's length
  std::string syntax;    // "", "v3" or "v2" (deprecated)
  std::vector<ObjectRef> middlewares;
  std::optional<RouteObservability> observability;
  std::vector<ServiceRef> services;
  std::optional<RouteTimeoutsSpec> timeouts;
};

struct IngressRouteSpec {
  std::string ingress_class_name;
  std::vector<std::string> entry_points;
  std::vector<ObjectRef> parent_refs;
  std::vector<HttpRoute> routes;
  std::optional<RouteTls> tls;
};

struct IngressRoute {
  ObjectMeta meta;
  CrdInfo crd;
  IngressRouteSpec spec;
};

void ReadIngressRouteSpec(CrdReader& spec, IngressRouteSpec* out);
std::string DecodeCrd(const JsonField& object, IngressRoute* out);

}  // namespace portico::controlplane::crd
