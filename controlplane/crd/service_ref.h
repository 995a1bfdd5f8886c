// References between CRD objects: ObjectRef (name + optional namespace, for
// Middlewares, TLSOptions, parents) and ServiceRef, Traefik's load-balancer
// spec used by IngressRoute routes, WeightedService and the errors
// middleware. Decoded only: resolving names is the compiler's job. Plain values.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "controlplane/crd/crd_reader.h"

namespace portico::controlplane::crd {

struct ObjectRef {
  std::string name;
  std::string namespace_name;  // "" = the referring object's namespace
  bool operator==(const ObjectRef&) const = default;
};

struct StickyCookie {
  std::string name;
  bool secure = false;
  bool http_only = false;
  std::string same_site;  // "", "none", "lax" or "strict"
  std::optional<int64_t> max_age;
  std::string path;
  std::string domain;
};

struct ServiceHealthCheck {
  std::string path;
  std::string scheme;
  std::string mode;  // "http" or "grpc"
  std::string hostname;
  std::optional<int64_t> port;
  std::optional<Duration> interval;
  std::optional<Duration> unhealthy_interval;
  std::optional<Duration> timeout;
  std::map<std::string, std::string> headers;
  std::optional<bool> follow_redirects;
  std::string method;
  std::optional<int64_t> status;
  // Portico extensions: consecutive results that change an endpoint's state.
  std::optional<int64_t> unhealthy_threshold;
  std::optional<int64_t> healthy_threshold;
};

// Portico extension: what strategy maglev hashes; exactly one is set.
struct ServiceHashKey {
  std::string header;
  std::string cookie;
  bool client_ip = false;
  bool path = false;
};

struct PassiveHealthCheck {
  std::optional<Duration> failure_window;
  std::optional<int64_t> max_failed_attempts;
};

// "Service" (a Kubernetes Service) or "WeightedService"; Traefik's
// "TraefikService" is read as "WeightedService".
enum class ServiceKind { kService, kWeightedService };

struct ServiceRef {
  std::string name;
  std::string namespace_name;
  ServiceKind kind = ServiceKind::kService;
  PortRef port;                   // unset: WeightedService, or ExternalName's own port
  std::optional<int64_t> weight;  // within a weighted round robin
  std::string scheme;             // "", "http", "https" or "h2c"
  // "", "wrr", "p2c", "hrw", "leasttime" ("RoundRobin" = "wrr"); Portico
  // extensions "leastrequests" and "maglev"
  std::string strategy;
  std::optional<ServiceHashKey> hash_key;  // strategy maglev only
  std::optional<bool> pass_host_header;
  std::optional<Duration> flush_interval;
  std::string servers_transport;
  std::optional<StickyCookie> sticky_cookie;
  std::optional<ServiceHealthCheck> health_check;
  std::optional<PassiveHealthCheck> passive_health_check;
  std::optional<bool> native_lb;
  bool node_port_lb = false;
  std::vector<ObjectRef> middlewares;
};

void ReadObjectRef(CrdReader& r, ObjectRef* out);
void ReadStickyCookie(CrdReader& r, StickyCookie* out);
// Reads a service reference; `r` may hold more fields (a mirror's
// percent), read by the caller.
void ReadServiceRef(CrdReader& r, ServiceRef* out);

}  // namespace portico::controlplane::crd
