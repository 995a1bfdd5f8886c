// CrdObjects: every decoded Portico CRD object (and, with the same shapes,
// Traefik's traefik.io ones), by kind, sorted by namespace/name. Held by
// ClusterState as one member. Built once per load, then only read.
#pragma once

#include <map>
#include <span>
#include <string>
#include <string_view>

#include "controlplane/crd/ingress_route.h"
#include "controlplane/crd/ingress_route_l4.h"
#include "controlplane/crd/middleware.h"
#include "controlplane/crd/middleware_tcp.h"
#include "controlplane/crd/schema_catalog.h"
#include "controlplane/crd/servers_transport.h"
#include "controlplane/crd/tls_option.h"
#include "controlplane/crd/weighted_service.h"
#include "controlplane/model/object_meta.h"

namespace portico::controlplane::crd {

struct CrdObjects {
  std::map<ObjectKey, IngressRoute> ingress_routes;
  std::map<ObjectKey, IngressRouteTcp> ingress_routes_tcp;
  std::map<ObjectKey, IngressRouteUdp> ingress_routes_udp;
  std::map<ObjectKey, Middleware> middlewares;
  std::map<ObjectKey, MiddlewareTcp> middlewares_tcp;
  std::map<ObjectKey, TlsOption> tls_options;
  std::map<ObjectKey, TlsStore> tls_stores;
  std::map<ObjectKey, ServersTransport> servers_transports;
  std::map<ObjectKey, ServersTransportTcp> servers_transports_tcp;
  std::map<ObjectKey, WeightedService> weighted_services;
};

// Decodes `object` into (crds->*Objects)[meta.key()]. Of a portico.dev and
// a traefik.io object with the same kind, namespace and name, the first one
// decoded is kept and *first_origin names it, as for any duplicate.
template <auto Objects>
std::string DecodeCrdInto(const JsonField& object, ObjectMeta meta, CrdObjects* crds,
                          std::string* first_origin) {
  auto& objects = crds->*Objects;
  auto existing = objects.find(meta.key());
  if (existing != objects.end()) {
    *first_origin = existing->second.meta.origin;
    return "";
  }
  typename std::remove_reference_t<decltype(objects)>::mapped_type decoded;
  decoded.meta = std::move(meta);
  if (std::string e = DecodeCrd(object, &decoded); !e.empty()) return e;
  ObjectKey key = decoded.meta.key();
  objects.emplace(std::move(key), std::move(decoded));
  return "";
}

// One row per kind, for tests and tools that walk every CRD.
struct CrdKindInfo {
  std::string_view kind;    // "IngressRoute"
  std::string_view plural;  // "ingressroutes": crds/<plural>.yaml
  SchemaCatalog (*describe)();
};
std::span<const CrdKindInfo> CrdKinds();

}  // namespace portico::controlplane::crd
