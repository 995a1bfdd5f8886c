#include "controlplane/validate/validate_command.h"

#include <catch2/catch.hpp>
#include <cstdio>

#include "tests/controlplane/support/temp_dir.h"

namespace portico::controlplane {
namespace {

struct Run {
  int status = 0;
  std::string out, err;
};

std::string Drain(std::FILE* f) {
  std::rewind(f);
  std::string text;
  char buffer[4096];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, f)) > 0) text.append(buffer, n);
  std::fclose(f);
  return text;
}

Run Validate(const std::vector<std::string>& args, const std::string& stdin_text = "") {
  std::FILE* in = std::tmpfile();
  std::fputs(stdin_text.c_str(), in);
  std::rewind(in);
  std::FILE* out = std::tmpfile();
  std::FILE* err = std::tmpfile();
  Run r;
  r.status = RunValidate(args, in, out, err);
  std::fclose(in);
  r.out = Drain(out);
  r.err = Drain(err);
  return r;
}

constexpr char kService[] = R"(apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec: {ports: [{name: http, port: 80}]}
)";

constexpr char kRoutes[] = R"(apiVersion: portico.dev/v1alpha1
kind: IngressRoute
metadata: {name: site, namespace: shop}
spec:
  routes:
  - {match: Host(`a.test`), services: [{name: web, port: 80}]}
  - {match: "Host(`b.test`) ||", services: [{name: web, port: 80}]}
)";

TEST_CASE("validate: one line per object, errors with file and field", "[validate]") {
  testing::TempDir dir;
  dir.Write("repo/web.yaml", kService);
  dir.Write("repo/routes/site.yaml", kRoutes);
  Run r = Validate({dir.path() + "/repo"});
  CHECK(r.status == 1);
  std::string repo = dir.path() + "/repo/";
  CHECK(r.out ==
        "error   IngressRoute shop/site (" + repo +
            "routes/site.yaml#0): InvalidRule: spec.routes[1].match: column 18: expected a "
            "matcher, '!' or '(', got the end of the rule; the route is left out\n"
            "ok      Service shop/web (" + repo + "web.yaml#0)\n"
            "2 objects, 1 routes; errors found\n");
}

TEST_CASE("validate: a clean repository exits 0, stdin works", "[validate]") {
  std::string fixed = kRoutes;
  fixed.replace(fixed.find(" ||\""), 4, "\"");
  Run r = Validate({"-"}, std::string(kService) + "---\n" + fixed);
  CHECK(r.status == 0);
  CHECK(r.out ==
        "ok      Service shop/web (-#0)\n"
        "ok      IngressRoute shop/site (-#1)\n"
        "2 objects, 2 routes; no errors\n");
}

TEST_CASE("validate: compile flags as the controller's", "[validate]") {
  std::string yaml = std::string(kService) + R"(---
apiVersion: traefik.io/v1alpha1
kind: IngressRoute
metadata: {name: front, namespace: edge}
spec:
  routes:
  - {match: Host(`f.test`), services: [{name: web, namespace: shop, port: 80}]}
)";
  Run plain = Validate({"-"}, yaml);
  CHECK(plain.status == 0);
  CHECK_THAT(plain.out, Catch::Contains("ignored IngressRoute edge/front (-#1): a traefik.io "
                                        "object; pass --traefik-compat to read it\n"));
  Run compat = Validate({"--traefik-compat", "-"}, yaml);
  CHECK(compat.status == 1);
  CHECK_THAT(compat.out, Catch::Contains("CrossNamespace: spec.routes[0].services[0].namespace"));
  Run allowed = Validate({"--traefik-compat", "--allow-cross-namespace", "-"}, yaml);
  CHECK(allowed.status == 0);
}

TEST_CASE("validate: objects of another class are listed as ignored, with the reason",
          "[validate]") {
  std::string yaml = std::string(kService) + R"(---
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: portico}
spec: {controller: portico.dev/ingress-controller}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: legacy, namespace: shop, annotations: {kubernetes.io/ingress.class: nginx}}
spec: {defaultBackend: {service: {name: web, port: {number: 80}}}}
---
apiVersion: portico.dev/v1alpha1
kind: IngressRoute
metadata: {name: other, namespace: shop}
spec:
  ingressClassName: internal
  routes:
  - {match: Host(`a.test`), services: [{name: web, port: 80}]}
)";
  Run r = Validate({"-"}, yaml);
  CHECK(r.status == 0);
  CHECK(r.out ==
        "ok      Service shop/web (-#0)\n"
        "ok      IngressClass portico (-#1)\n"
        "ignored Ingress shop/legacy (-#2): class nginx, not portico\n"
        "ignored IngressRoute shop/other (-#3): class internal, not portico\n"
        "4 objects, 0 routes; no errors\n");
  Run internal = Validate({"--ingress-class=internal", "-"}, yaml);
  CHECK_THAT(internal.out, Catch::Contains("ok      IngressRoute shop/other (-#3)\n"));
  CHECK_THAT(internal.out, Catch::Contains("class nginx, not internal\n"));
  Run json = Validate({"--output=json", "-"}, yaml);
  CHECK_THAT(json.out, Catch::Contains("\"name\":\"legacy\",\"origin\":\"-#2\","
                                       "\"status\":\"ignored\""));
  CHECK(Validate({"--ingress-class=Bad_Name", "-"}, yaml).err ==
        "portico-controller validate: --ingress-class: 'Bad_Name' is not an IngressClass name "
        "(lowercase letters, digits, '-' and '.')\n(see validate --help)\n");
}

TEST_CASE("validate: broken files, unreadable paths and usage errors", "[validate]") {
  testing::TempDir dir;
  dir.Write("bad.yaml", "kind: [unclosed\n");
  Run r = Validate({dir.path() + "/bad.yaml", dir.path() + "/missing.yaml"});
  CHECK(r.status == 1);
  CHECK_THAT(r.out, Catch::Contains("error   " + dir.path() + "/missing.yaml: cannot be read\n"));
  CHECK_THAT(r.out, Catch::Contains("error   " + dir.path() + "/bad.yaml: "));

  CHECK(Validate({}).status == 2);
  CHECK(Validate({"--output=xml", "x"}).status == 2);
  CHECK(Validate({"--bogus", "x"}).err ==
        "portico-controller validate: unknown flag '--bogus'\n(see validate --help)\n");
  CHECK(Validate({"--help"}).status == 0);
}

TEST_CASE("validate --output=json: objects, errors and the snapshot, keys redacted",
          "[validate]") {
  std::string yaml = std::string(kService) + R"(---
apiVersion: v1
kind: Secret
type: kubernetes.io/tls
metadata: {name: cert, namespace: shop}
data: {tls.crt: bm90IGEgY2VydA==, tls.key: c2VjcmV0LWtleS1ieXRlcw==}
)";
  Run r = Validate({"--output=json", "-"}, yaml);
  CHECK(r.status == 0);
  CHECK_THAT(r.out, Catch::StartsWith("{\"ok\":true,\"objects\":[{\"kind\":\"Service\","
                                      "\"namespace\":\"shop\",\"name\":\"web\",\"origin\":\"-#0\","
                                      "\"status\":\"ok\",\"errors\":[]}"));
  CHECK_THAT(r.out, Catch::Contains("\"snapshot\":{"));
  CHECK(r.out.find("c2VjcmV0") == std::string::npos);
  CHECK(r.out.find("secret-key-bytes") == std::string::npos);
}

TEST_CASE("validate: TCP and UDP routes are counted and in the JSON snapshot", "[validate]") {
  std::string yaml = R"(apiVersion: v1
kind: Service
metadata: {name: db, namespace: shop}
spec: {ports: [{name: pg, port: 5432}, {name: dns, port: 53, protocol: UDP}]}
---
apiVersion: portico.dev/v1alpha1
kind: IngressRouteTCP
metadata: {name: db, namespace: shop}
spec:
  routes: [{match: HostSNI(`*`), services: [{name: db, port: pg}]}]
---
apiVersion: portico.dev/v1alpha1
kind: IngressRouteUDP
metadata: {name: dns, namespace: shop}
spec:
  entryPoints: [dns]
  routes: [{services: [{name: db, port: 53}]}]
---
apiVersion: portico.dev/v1alpha1
kind: IngressRouteTCP
metadata: {name: theirs, namespace: shop}
spec:
  ingressClassName: nginx
  routes: [{match: HostSNI(`*`), services: [{name: db, port: pg}]}]
---
apiVersion: portico.dev/v1alpha1
kind: IngressRouteTCP
metadata: {name: bad, namespace: shop}
spec:
  routes: [{match: HostSNI(`db.test`), services: [{name: db, port: pg}]}]
)";
  Run text = Validate({"-"}, yaml);
  CHECK(text.status == 1);
  CHECK(text.out ==
        "ok      Service shop/db (-#0)\n"
        "ok      IngressRouteTCP shop/db (-#1)\n"
        "ok      IngressRouteUDP shop/dns (-#2)\n"
        "ignored IngressRouteTCP shop/theirs (-#3): class nginx, not portico\n"
        "error   IngressRouteTCP shop/bad (-#4): InvalidRule: spec.routes[0].match: HostSNI and "
        "HostSNIRegexp need spec.tls (a connection without TLS has no server name; only "
        "HostSNI(`*`) matches it); the route is left out\n"
        "5 objects, 0 routes, 1 TCP routes, 1 UDP routes; errors found\n");
  Run json = Validate({"--output=json", "-"}, yaml);
  for (const char* part :
       {R"("tcp_routes":[{"name":"shop/db/r0","source":"IngressRouteTCP/shop/db",)"
        R"("match":{"any_host":true},"priority":"-1","backends":[{"cluster":"shop/db:pg","weight":1}]}])",
        R"("udp_routes":[{"name":"shop/dns","source":"IngressRouteUDP/shop/dns",)"
        R"("entrypoints":["dns"],"backends":[{"cluster":"shop/db:dns","weight":1}]}])"}) {
    INFO(part);
    CHECK(json.out.find(part) != std::string::npos);
  }
}

TEST_CASE("validate: the canary example compiles clean, split, checks and retry carried",
          "[validate]") {
  Run text = Validate({std::string(PORTICO_SOURCE_DIR) + "/examples/canary"});
  CHECK(text.status == 0);
  CHECK(text.out.ends_with("7 objects, 1 routes; no errors\n"));
  Run json = Validate({"--output=json", std::string(PORTICO_SOURCE_DIR) + "/examples/canary"});
  CHECK(json.status == 0);
  for (const char* part :
       {R"("service":"WeightedService/shop/web-canary","middlewares":["shop/retry"],)"
        R"("timeouts":{"connect_ms":"2000","response_header_ms":"10000","total_ms":"30000"})",
        R"("children":[{"service":"WeightedService/shop/web-canary/s0","weight":9},)"
        R"({"service":"WeightedService/shop/web-canary/s1","weight":1}],)"
        R"("sticky":{"name":"web_version","http_only":true,"same_site":"lax"})",
        R"("unhealthy_threshold":2,"healthy_threshold":1)",
        R"({"name":"shop/retry","type":"retry",)"
        R"("retry":{"attempts":3,"initial_interval_ms":"50"}})"}) {
    INFO(part);
    CHECK(json.out.find(part) != std::string::npos);
  }
}

TEST_CASE("validate: a middleware the proxy does not run is reported", "[validate]") {
  Run r = Validate({"-"}, std::string(kService) + R"(---
apiVersion: portico.dev/v1alpha1
kind: Middleware
metadata: {name: hsts, namespace: shop}
spec: {headers: {stsSeconds: 60}}
---
apiVersion: portico.dev/v1alpha1
kind: IngressRoute
metadata: {name: site, namespace: shop}
spec:
  routes:
  - {match: Host(`a.test`), middlewares: [{name: hsts}], services: [{name: web, port: 80}]}
)");
  CHECK(r.out ==
        "ok      Service shop/web (-#0)\n"
        "ok      Middleware shop/hsts (-#1)\n"
        "error   IngressRoute shop/site (-#2): NotExecuted: spec.routes[0].middlewares[0]: "
        "middleware shop/hsts (headers) is not executed by the proxy yet; the proxy answers 503 "
        "on this route rather than pass traffic without it\n"
        "3 objects, 1 routes; errors found\n");
  CHECK(r.status == 1);
}

}  // namespace
}  // namespace portico::controlplane
