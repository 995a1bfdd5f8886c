#include "controlplane/crd/service_ref.h"

#include "controlplane/crd/value_checks.h"
#include "controlplane/model/dns_names.h"

namespace portico::controlplane::crd {
namespace {

void ReadHealthCheck(CrdReader& r, ServiceHealthCheck* out) {
  r.String("path", &out->path);
  r.Enum("scheme", {"http", "https"}, &out->scheme);
  r.Enum("mode", {"http", "grpc"}, &out->mode);
  r.String("hostname", &out->hostname);
  r.Int("port", &out->port, {.min = 1, .max = 65535});
  r.Duration("interval", &out->interval);
  r.Duration("unhealthyInterval", &out->unhealthy_interval);
  r.Duration("timeout", &out->timeout);
  r.StringMap("headers", &out->headers);
  r.Bool("followRedirects", &out->follow_redirects);
  r.String("method", &out->method);
  r.Int("status", &out->status, {.min = 100, .max = 599});
  r.Int("unhealthyThreshold", &out->unhealthy_threshold, {.min = 1, .max = 1000});
  r.Int("healthyThreshold", &out->healthy_threshold, {.min = 1, .max = 1000});
  if (!out->path.empty() && out->path[0] != '/') r.Fail("path", "must start with '/'");
  for (const auto& [name, value] : out->headers) {
    if (!IsHeaderName(name)) r.Fail("headers", "invalid header name " + Quoted(name));
    if (!IsHeaderValue(value)) r.Fail("headers." + name, "must not contain CR, LF or NUL");
  }
  for (auto [name, value] : {std::pair{"interval", out->interval},
                             std::pair{"unhealthyInterval", out->unhealthy_interval},
                             std::pair{"timeout", out->timeout}}) {
    if (value && value->count() <= 0) r.Fail(name, "must be positive");
  }
}

void ReadHashKey(CrdReader& r, ServiceHashKey* out) {
  r.Choice({"header", "cookie", "clientIP", "path"}, true);
  r.String("header", &out->header);
  r.String("cookie", &out->cookie);
  r.Bool("clientIP", &out->client_ip);
  r.Bool("path", &out->path);
  if (r.Has("header") && !IsHeaderName(out->header)) {
    r.Fail("header", "must be a header name, got " + Quoted(out->header));
  }
  if (r.Has("cookie") && !IsHeaderName(out->cookie)) {
    r.Fail("cookie", "must be a cookie name (an HTTP token), got " + Quoted(out->cookie));
  }
  if (r.Has("clientIP") && !out->client_ip) r.Fail("clientIP", "must be true when set");
  if (r.Has("path") && !out->path) r.Fail("path", "must be true when set");
}

void ReadPassiveHealthCheck(CrdReader& r, PassiveHealthCheck* out) {
  r.Duration("failureWindow", &out->failure_window);
  r.Int("maxFailedAttempts", &out->max_failed_attempts, {.min = 1});
  if (out->failure_window && out->failure_window->count() <= 0) {
    r.Fail("failureWindow", "must be positive");
  }
}

}  // namespace

void ReadObjectRef(CrdReader& r, ObjectRef* out) {
  r.String("name", &out->name, Need::kRequired);
  r.String("namespace", &out->namespace_name);
  if (!out->namespace_name.empty() && !IsDnsLabel(out->namespace_name)) {
    r.Fail("namespace", "must be a DNS label (a namespace), got " + Quoted(out->namespace_name));
  }
}

void ReadStickyCookie(CrdReader& r, StickyCookie* out) {
  r.String("name", &out->name);
  r.Bool("secure", &out->secure);
  r.Bool("httpOnly", &out->http_only);
  r.EnumAnyCase("sameSite", {"none", "lax", "strict"}, &out->same_site);
  r.Int("maxAge", &out->max_age);
  r.String("path", &out->path);
  r.String("domain", &out->domain);
  if (!out->name.empty() && !IsHeaderName(out->name)) {
    r.Fail("name", "must be a cookie name (an HTTP token), got " + Quoted(out->name));
  }
  if (!out->path.empty() && out->path[0] != '/') r.Fail("path", "must start with '/'");
}

void ReadServiceRef(CrdReader& r, ServiceRef* out) {
  std::string kind;
  r.String("name", &out->name, Need::kRequired);
  r.String("namespace", &out->namespace_name);
  r.Enum("kind", {"Service", "WeightedService", "TraefikService"}, &kind);
  r.Port("port", &out->port);
  r.Int("weight", &out->weight, {.min = 0});
  r.Enum("scheme", {"http", "https", "h2c"}, &out->scheme);
  r.Enum("strategy", {"wrr", "p2c", "hrw", "leasttime", "RoundRobin", "leastrequests", "maglev"},
         &out->strategy);
  r.OptionalObject("hashKey", &out->hash_key, ReadHashKey);
  r.Bool("passHostHeader", &out->pass_host_header);
  r.Object("responseForwarding", [&](CrdReader& f) {
    f.Duration("flushInterval", &out->flush_interval, DurationForm::kString);
  });
  r.String("serversTransport", &out->servers_transport);
  r.Object("sticky", [&](CrdReader& sticky) {
    sticky.OptionalObject("cookie", &out->sticky_cookie, ReadStickyCookie);
  });
  r.OptionalObject("healthCheck", &out->health_check, ReadHealthCheck);
  r.OptionalObject("passiveHealthCheck", &out->passive_health_check, ReadPassiveHealthCheck);
  r.Bool("nativeLB", &out->native_lb);
  r.Bool("nodePortLB", &out->node_port_lb);
  r.List("middlewares", &out->middlewares, ReadObjectRef);
  if (kind == "WeightedService" || kind == "TraefikService")
    out->kind = ServiceKind::kWeightedService;
  if (out->strategy == "RoundRobin") out->strategy = "wrr";
  if (out->hash_key && out->strategy != "maglev") {
    r.Fail("hashKey", "is only used with strategy maglev");
  }
  if (!out->namespace_name.empty() && !IsDnsLabel(out->namespace_name)) {
    r.Fail("namespace", "must be a DNS label (a namespace), got " + Quoted(out->namespace_name));
  }
  if (out->kind == ServiceKind::kService && !out->name.empty() && !IsDnsLabel(out->name)) {
    r.Fail("name", "must be a DNS label (a Service name), got " + Quoted(out->name));
  }
}

}  // namespace portico::controlplane::crd
