// IngressRoute, IngressRouteTCP and IngressRouteUDP decoding: a full
// manifest of each, then every refusal with the field it names.
#include <catch2/catch.hpp>

#include "controlplane/crd/ingress_route.h"
#include "controlplane/crd/ingress_route_l4.h"
#include "tests/controlplane/crd/crd_test_support.h"

namespace portico::controlplane::crd {
namespace {

using namespace std::chrono_literals;

TEST_CASE("ingress route: every field") {
  IngressRoute ir;
  REQUIRE(testing::DecodeSpecYaml("IngressRoute", R"yaml(
  ingressClassName: portico
  entryPoints: [websecure]
  routes:
  - match: Host(`a.example`) && PathPrefix(`/api`)
    kind: Rule
    priority: -5
    syntax: v3
    middlewares: [{name: auth}, {name: strip, namespace: shared}]
    observability: {accessLogs: false, metrics: true, tracing: true, traceVerbosity: detailed}
    services:
    - name: api
      port: 8080
      weight: 3
      scheme: h2c
      strategy: RoundRobin
      passHostHeader: false
      responseForwarding: {flushInterval: -1ms}
      serversTransport: mtls
      sticky: {cookie: {name: route, secure: true, httpOnly: true, sameSite: Lax, maxAge: 60, path: /, domain: a.example}}
      healthCheck: {path: /healthz, scheme: https, mode: grpc, hostname: api.internal, port: 8443,
                    interval: 10s, unhealthyInterval: 2s, timeout: 1s, headers: {X-Check: '1'},
                    followRedirects: false, method: HEAD, status: 204}
      passiveHealthCheck: {failureWindow: 30s, maxFailedAttempts: 3}
      nativeLB: true
      nodePortLB: false
      middlewares: [{name: service-level}]
    - name: canary
      namespace: other
      kind: TraefikService
  - match: Host(`b.example`)
  tls:
    secretName: b-cert
    options: {name: modern, namespace: tls}
    store: {name: default}
    certResolver: le
    domains: [{main: b.example, sans: ['*.b.example']}]
)yaml",
                                  &ir) == "");
  CHECK(ir.crd.generation == 7);
  const IngressRouteSpec& s = ir.spec;
  CHECK(s.ingress_class_name == "portico");
  CHECK(s.entry_points == std::vector<std::string>{"websecure"});
  REQUIRE(s.routes.size() == 2);
  const HttpRoute& r = s.routes[0];
  CHECK(r.match == "Host(`a.example`) && PathPrefix(`/api`)");
  CHECK(r.priority == -5);
  CHECK(r.syntax == "v3");
  CHECK(r.middlewares == std::vector<ObjectRef>{{"auth", ""}, {"strip", "shared"}});
  REQUIRE(r.observability);
  CHECK(r.observability->access_logs == false);
  CHECK(r.observability->trace_verbosity == "detailed");
  REQUIRE(r.services.size() == 2);
  const ServiceRef& api = r.services[0];
  CHECK(api.name == "api");
  CHECK(api.kind == ServiceKind::kService);
  CHECK(api.port == PortRef{.number = 8080});
  CHECK(api.weight == 3);
  CHECK(api.scheme == "h2c");
  CHECK(api.strategy == "wrr");  // RoundRobin is the deprecated spelling
  CHECK(api.pass_host_header == false);
  CHECK(api.flush_interval == Duration(-1ms));
  CHECK(api.servers_transport == "mtls");
  REQUIRE(api.sticky_cookie);
  CHECK(api.sticky_cookie->same_site == "lax");
  CHECK(api.sticky_cookie->max_age == 60);
  REQUIRE(api.health_check);
  CHECK(api.health_check->mode == "grpc");
  CHECK(api.health_check->interval == Duration(10s));
  CHECK(api.health_check->headers.at("X-Check") == "1");
  CHECK(api.health_check->status == 204);
  CHECK(api.passive_health_check->max_failed_attempts == 3);
  CHECK(api.native_lb == true);
  CHECK(api.middlewares == std::vector<ObjectRef>{{"service-level", ""}});
  const ServiceRef& canary = r.services[1];
  CHECK(canary.kind == ServiceKind::kWeightedService);
  CHECK(canary.namespace_name == "other");
  CHECK_FALSE(canary.port.set());
  CHECK(s.routes[1].services.empty());
  REQUIRE(s.tls);
  CHECK(s.tls->secret_name == "b-cert");
  CHECK(s.tls->options == ObjectRef{"modern", "tls"});
  CHECK(s.tls->store == ObjectRef{"default", ""});
  CHECK(s.tls->cert_resolver == "le");
  REQUIRE(s.tls->domains.size() == 1);
  CHECK(s.tls->domains[0].sans == std::vector<std::string>{"*.b.example"});
}

TEST_CASE("ingress route: Portico extensions hashKey, health thresholds, timeouts") {
  IngressRoute ir;
  REQUIRE(testing::DecodeSpecYaml("IngressRoute", R"yaml(
  routes:
  - match: Host(`a.example`)
    timeouts: {connect: 2s, responseHeaders: 10, total: 1m}
    services:
    - {name: a, port: 80, strategy: maglev, hashKey: {header: X-User}}
    - {name: b, port: 80, strategy: maglev, hashKey: {cookie: session}}
    - {name: c, port: 80, strategy: maglev, hashKey: {clientIP: true}}
    - {name: d, port: 80, strategy: maglev, hashKey: {path: true}}
    - {name: e, port: 80, strategy: leastrequests,
       healthCheck: {path: /, unhealthyThreshold: 3, healthyThreshold: 2}}
  - match: Host(`b.example`)
)yaml",
                                  &ir) == "");
  const HttpRoute& r = ir.spec.routes[0];
  REQUIRE(r.timeouts);
  CHECK(r.timeouts->connect == Duration(2s));
  CHECK(r.timeouts->response_headers == Duration(10s));
  CHECK(r.timeouts->total == Duration(60s));
  CHECK_FALSE(ir.spec.routes[1].timeouts);
  REQUIRE(r.services.size() == 5);
  CHECK(r.services[0].strategy == "maglev");
  CHECK(r.services[0].hash_key->header == "X-User");
  CHECK(r.services[1].hash_key->cookie == "session");
  CHECK(r.services[2].hash_key->client_ip);
  CHECK(r.services[3].hash_key->path);
  CHECK(r.services[4].strategy == "leastrequests");
  CHECK_FALSE(r.services[4].hash_key);
  CHECK(r.services[4].health_check->unhealthy_threshold == 3);
  CHECK(r.services[4].health_check->healthy_threshold == 2);
  CHECK_FALSE(r.services[0].health_check);

  testing::ExpectErrors<IngressRoute>(
      "IngressRoute",
      {
          {"{routes: [{match: a, services: [{name: s, port: 80, hashKey: {path: true}}]}]}",
           "spec.routes[0].services[0].hashKey: is only used with strategy maglev"},
          {"{routes: [{match: a, services: [{name: s, port: 80, strategy: maglev, hashKey: "
           "{}}]}]}",
           "spec.routes[0].services[0].hashKey: must set one of header, cookie, clientIP or "
           "path"},
          {"{routes: [{match: a, services: [{name: s, port: 80, strategy: maglev, hashKey: "
           "{header: a, cookie: b}}]}]}",
           "spec.routes[0].services[0].hashKey: must set only one of"},
          {"{routes: [{match: a, services: [{name: s, port: 80, strategy: maglev, hashKey: "
           "{header: 'a b'}}]}]}",
           "spec.routes[0].services[0].hashKey.header: must be a header name, got \"a b\""},
          {"{routes: [{match: a, services: [{name: s, port: 80, strategy: maglev, hashKey: "
           "{clientIP: false}}]}]}",
           "spec.routes[0].services[0].hashKey.clientIP: must be true when set"},
          {"{routes: [{match: a, services: [{name: s, port: 80, healthCheck: "
           "{unhealthyThreshold: 0}}]}]}",
           "spec.routes[0].services[0].healthCheck.unhealthyThreshold: must be between 1 and "
           "1000, got 0"},
          {"{routes: [{match: a, services: [{name: s, port: 80, healthCheck: "
           "{healthyThreshold: 1001}}]}]}",
           "spec.routes[0].services[0].healthCheck.healthyThreshold: must be between 1 and "
           "1000, got 1001"},
          {"{routes: [{match: a, timeouts: {connect: 0s}}]}",
           "spec.routes[0].timeouts.connect: must be positive"},
          {"{routes: [{match: a, timeouts: {total: soon}}]}",
           "spec.routes[0].timeouts.total: must be a duration"},
          {"{routes: [{match: a, timeouts: {idle: 1s}}]}",
           "spec.routes[0].timeouts.idle: unknown field"},
      });
}

TEST_CASE("ingress route: tls {} means TLS with the default certificate") {
  IngressRoute ir;
  REQUIRE(testing::DecodeSpecYaml("IngressRoute", "{routes: [{match: 'Host(`a`)'}], tls: {}}",
                                  &ir) == "");
  REQUIRE(ir.spec.tls);
  CHECK(ir.spec.tls->secret_name.empty());
}

TEST_CASE("ingress route: refusals name the field") {
  struct Case {
    const char* spec;
    const char* error;
  };
  const Case cases[] = {
      {"{}", "spec.routes: required"},
      {"{routes: []}", "spec.routes: must not be empty"},
      {"{routes: [{}]}", "spec.routes[0].match: required"},
      {"{routes: [{match: ''}]}", "spec.routes[0].match: must not be empty"},
      {"{routes: [{match: a, kind: Match}]}", "spec.routes[0].kind: must be Rule, got \"Match\""},
      {"{routes: [{match: a, priority: 9223372036854775000}]}",
       "spec.routes[0].priority: must be at most 9223372036854774807"},
      {"{routes: [{match: a, syntax: v1}]}", "spec.routes[0].syntax: must be v3 or v2, got \"v1\""},
      {"{routes: [{match: a}, {match: b, services: [{name: s, port: 80}, {name: s, port: true}]}]}",
       "spec.routes[1].services[1].port: expected an integer or a port name, got a boolean"},
      {"{routes: [{match: a, services: [{name: s, port: 0}]}]}",
       "spec.routes[0].services[0].port: must be between 1 and 65535, got 0"},
      {"{routes: [{match: a, services: [{name: s, port: '8080'}]}]}",
       "spec.routes[0].services[0].port: must be a port name (up to 15 lowercase letters, digits "
       "and '-', with a letter) or a number, got \"8080\""},
      {"{routes: [{match: a, services: [{port: 80}]}]}",
       "spec.routes[0].services[0].name: required"},
      {"{routes: [{match: a, services: [{name: My_Svc, port: 80}]}]}",
       "spec.routes[0].services[0].name: must be a DNS label (a Service name), got \"My_Svc\""},
      {"{routes: [{match: a, services: [{name: s, port: 80, kind: Ingress}]}]}",
       "spec.routes[0].services[0].kind: must be Service, WeightedService or TraefikService, got "
       "\"Ingress\""},
      {"{routes: [{match: a, services: [{name: s, port: 80, weight: -1}]}]}",
       "spec.routes[0].services[0].weight: must be at least 0, got -1"},
      {"{routes: [{match: a, services: [{name: s, port: 80, scheme: ftp}]}]}",
       "spec.routes[0].services[0].scheme: must be http, https or h2c, got \"ftp\""},
      {"{routes: [{match: a, services: [{name: s, port: 80, strategy: random}]}]}",
       "spec.routes[0].services[0].strategy: must be wrr, p2c, hrw, leasttime, RoundRobin, "
       "leastrequests or maglev"},
      {"{routes: [{match: a, services: [{name: s, port: 80, namespace: A}]}]}",
       "spec.routes[0].services[0].namespace: must be a DNS label (a namespace), got \"A\""},
      {"{routes: [{match: a, services: [{name: s, port: 80, responseForwarding: {flushInterval: "
       "100}}]}]}",
       "spec.routes[0].services[0].responseForwarding.flushInterval: must be a string, got an "
       "integer"},
      {"{routes: [{match: a, services: [{name: s, port: 80, responseForwarding: {flushInterval: "
       "soon}}]}]}",
       "spec.routes[0].services[0].responseForwarding.flushInterval: must be a duration"},
      {"{routes: [{match: a, services: [{name: s, port: 80, sticky: {cookie: {sameSite: "
       "relaxed}}}]}]}",
       "spec.routes[0].services[0].sticky.cookie.sameSite: must be none, lax or strict (any case), "
       "got \"relaxed\""},
      {"{routes: [{match: a, services: [{name: s, port: 80, sticky: {cookie: {name: 'a b'}}}]}]}",
       "spec.routes[0].services[0].sticky.cookie.name: must be a cookie name"},
      {"{routes: [{match: a, services: [{name: s, port: 80, healthCheck: {path: health}}]}]}",
       "spec.routes[0].services[0].healthCheck.path: must start with '/'"},
      {"{routes: [{match: a, services: [{name: s, port: 80, healthCheck: {mode: tcp}}]}]}",
       "spec.routes[0].services[0].healthCheck.mode: must be http or grpc, got \"tcp\""},
      {"{routes: [{match: a, services: [{name: s, port: 80, healthCheck: {interval: 0s}}]}]}",
       "spec.routes[0].services[0].healthCheck.interval: must be positive"},
      {"{routes: [{match: a, services: [{name: s, port: 80, healthCheck: {headers: {'a b': "
       "c}}}]}]}",
       "spec.routes[0].services[0].healthCheck.headers: invalid header name \"a b\""},
      {"{routes: [{match: a, services: [{name: s, port: 80, healthCheck: {status: 42}}]}]}",
       "spec.routes[0].services[0].healthCheck.status: must be between 100 and 599, got 42"},
      {"{routes: [{match: a, services: [{name: s, port: 80, passiveHealthCheck: "
       "{maxFailedAttempts: 0}}]}]}",
       "spec.routes[0].services[0].passiveHealthCheck.maxFailedAttempts: must be at least 1, got "
       "0"},
      {"{routes: [{match: a, services: [{name: s, port: 80, passiveHealthCheck: {failureWindow: "
       "0}}]}]}",
       "spec.routes[0].services[0].passiveHealthCheck.failureWindow: must be positive"},
      {"{routes: [{match: a, middlewares: [{name: m, namespace: 'x.y'}]}]}",
       "spec.routes[0].middlewares[0].namespace: must be a DNS label"},
      {"{routes: [{match: a, observability: {traceVerbosity: full}}]}",
       "spec.routes[0].observability.traceVerbosity: must be minimal or detailed, got \"full\""},
      {"{routes: [{match: a, services: [{name: s, port: 80, portt: 81}]}]}",
       "spec.routes[0].services[0].portt: unknown field"},
      {"{routes: [{match: a}], tls: {secretName: Cert}}",
       "spec.tls.secretName: must be a Secret name (a DNS subdomain), got \"Cert\""},
      {"{routes: [{match: a}], tls: {passthrough: true}}", "spec.tls.passthrough: unknown field"},
      {"{routes: [{match: a}], tls: {domains: [{sans: [a.example]}]}}",
       "spec.tls.domains[0].main: required"},
      {"{routes: [{match: a}], tls: {domains: [{main: 'A..example'}]}}",
       "spec.tls.domains[0].main: must be a lowercase DNS name"},
      {"{routes: [{match: a}], tls: {domains: [{main: a.example, sans: [ok.example, 'bad "
       "name']}]}}",
       "spec.tls.domains[0].sans[1]: must be a lowercase DNS name"},
      {"{routes: [{match: a}], tls: {options: {namespace: tls}}}",
       "spec.tls.options.name: required"},
      {"{parentRefs: [{name: parent}], entryPoints: [web], routes: [{match: a}]}",
       "spec.entryPoints: must not be set with parentRefs"},
      {"{parentRefs: [{name: parent}], tls: {}, routes: [{match: a}]}",
       "spec.tls: must not be set with parentRefs"},
      {"{parentRefs: [{name: parent}], routes: [{match: a}, {match: b, observability: {metrics: "
       "false}}]}",
       "spec.routes[1].observability: must not be set with parentRefs"},
      {"{parentRefs: [{}], routes: [{match: a}]}", "spec.parentRefs[0].name: required"},
  };
  for (const Case& c : cases) {
    IngressRoute ir;
    INFO(c.spec);
    CHECK_THAT(testing::DecodeSpecYaml("IngressRoute", c.spec, &ir), Catch::StartsWith(c.error));
  }
}

TEST_CASE("ingress route tcp: passthrough, services and refusals") {
  IngressRouteTcp tcp;
  REQUIRE(testing::DecodeSpecYaml("IngressRouteTCP", R"yaml(
  entryPoints: [tls]
  routes:
  - match: HostSNI(`db.example`)
    priority: 10
    middlewares: [{name: limit}]
    services:
    - {name: db, port: 5432, weight: 2, tls: true, serversTransport: st, nativeLB: true,
       proxyProtocol: {version: 2}, terminationDelay: 200}
  tls: {passthrough: true, options: {name: strict}}
)yaml",
                                  &tcp) == "");
  REQUIRE(tcp.spec.routes.size() == 1);
  const TcpRoute& r = tcp.spec.routes[0];
  CHECK(r.match == "HostSNI(`db.example`)");
  CHECK(r.priority == 10);
  CHECK(r.middlewares == std::vector<ObjectRef>{{"limit", ""}});
  REQUIRE(r.services.size() == 1);
  CHECK(r.services[0].port == PortRef{.number = 5432});
  CHECK(r.services[0].tls);
  CHECK(r.services[0].proxy_protocol_version == 2);
  CHECK(r.services[0].termination_delay_ms == 200);
  REQUIRE(tcp.spec.tls);
  CHECK(tcp.spec.tls->passthrough);

  struct Case {
    const char* spec;
    const char* error;
  };
  const Case cases[] = {
      {"{routes: [{services: [{name: db, port: 1}]}]}", "spec.routes[0].match: required"},
      {"{routes: [{match: a, services: [{name: db}]}]}",
       "spec.routes[0].services[0].port: required"},
      {"{routes: [{match: a, services: [{name: db, port: 70000}]}]}",
       "spec.routes[0].services[0].port: must be between 1 and 65535, got 70000"},
      {"{routes: [{match: a, services: [{name: db, port: 1, proxyProtocol: {version: 3}}]}]}",
       "spec.routes[0].services[0].proxyProtocol.version: must be between 1 and 2, got 3"},
      {"{routes: [{match: a, services: [{name: db, port: 1, scheme: http}]}]}",
       "spec.routes[0].services[0].scheme: unknown field"},
      {"{routes: [{match: a}], tls: {passthrough: 'yes'}}",
       "spec.tls.passthrough: must be true or false, got a string"},
  };
  for (const Case& c : cases) {
    IngressRouteTcp out;
    INFO(c.spec);
    CHECK_THAT(testing::DecodeSpecYaml("IngressRouteTCP", c.spec, &out),
               Catch::StartsWith(c.error));
  }
}

TEST_CASE("ingress route udp: services and refusals") {
  IngressRouteUdp udp;
  REQUIRE(testing::DecodeSpecYaml(
              "IngressRouteUDP",
              "{entryPoints: [dns], routes: [{services: [{name: dns, port: 53, weight: 1, "
              "nodePortLB: true}, {name: dns2, namespace: b, port: dns}]}]}",
              &udp) == "");
  REQUIRE(udp.spec.routes.size() == 1);
  REQUIRE(udp.spec.routes[0].services.size() == 2);
  CHECK(udp.spec.routes[0].services[0].node_port_lb);
  CHECK(udp.spec.routes[0].services[1].port == PortRef{.name = "dns"});

  IngressRouteUdp bad;
  CHECK(testing::DecodeSpecYaml("IngressRouteUDP", "{routes: [{match: a}]}", &bad) ==
        "spec.routes[0].match: unknown field (Portico reads only the fields of crds/)");
  CHECK(testing::DecodeSpecYaml("IngressRouteUDP", "{routes: [{services: [{port: 53}]}]}", &bad) ==
        "spec.routes[0].services[0].name: required");
}

}  // namespace
}  // namespace portico::controlplane::crd
