// Ingress class selection: which Ingresses and IngressRoutes a compile with
// a given --ingress-class serves (docs/controller.md, "Ingress classes").
// Inputs are YAML; expected outputs are literal.
#include <catch2/catch.hpp>

#include "controlplane/compiler/compiler.h"
#include "tests/controlplane/support/manifests.h"

namespace portico::controlplane {
namespace {

using testing::Describe;
using testing::StateFromYaml;

constexpr auto& kBackend = testing::kShopWebBackend;

// An IngressClass manifest, written out in full.
std::string ClassYaml(const std::string& name, const std::string& controller, bool is_default) {
  std::string yaml =
      "---\napiVersion: networking.k8s.io/v1\nkind: IngressClass\nmetadata:\n"
      "  name: " +
      name + "\n";
  if (is_default)
    yaml += "  annotations: {ingressclass.kubernetes.io/is-default-class: \"true\"}\n";
  return yaml + "spec: {controller: " + controller + "}\n";
}

constexpr char kOurs[] = "portico.dev/ingress-controller";
constexpr char kNginx[] = "k8s.io/ingress-nginx";
const std::string kPorticoClass = ClassYaml("portico", kOurs, false);
const std::string kPorticoDefault = ClassYaml("portico", kOurs, true);
const std::string kNginxClass = ClassYaml("nginx", kNginx, false);
const std::string kNginxDefault = ClassYaml("nginx", kNginx, true);
// A second Portico installation's classes: same controller, another name.
const std::string kInternalClass = ClassYaml("internal", kOurs, false);
const std::string kInternalDefault = ClassYaml("internal", kOurs, true);
// Our class name, another controller.
const std::string kImpostorClass = ClassYaml("portico", kNginx, false);

constexpr char kServed[] =
    "route shop/site/r0/p0 a.test Prefix / -> shop/web:http (Ingress/shop/site)\n"
    "cluster shop/web:http 10.0.0.1:8080\n";

std::string IngressYaml(const std::string& annotation, const std::string& class_name) {
  std::string yaml = R"(---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: site
  namespace: shop
)";
  if (!annotation.empty()) {
    yaml += "  annotations: {kubernetes.io/ingress.class: " + annotation + "}\n";
  }
  yaml += "spec:\n";
  if (!class_name.empty()) yaml += "  ingressClassName: " + class_name + "\n";
  yaml += R"(  rules:
  - host: a.test
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
)";
  return yaml;
}

TEST_CASE("Ingress class selection: every case of the rule", "[compiler]") {
  struct Case {
    const char* what;
    std::string classes;     // IngressClass objects
    std::string annotation;  // kubernetes.io/ingress.class
    std::string class_name;  // spec.ingressClassName
    std::string ours;        // --ingress-class
    bool served;
  };
  const std::string both = kPorticoClass + kNginxClass;
  for (const Case& c : {
           Case{"no class info, no IngressClass", "", "", "", "portico", true},
           Case{"no class info, classes but none default", both, "", "", "portico", true},
           Case{"no class info, ours is the default", kPorticoDefault, "", "", "portico", true},
           Case{"no class info, another controller's default", kPorticoClass + kNginxDefault, "",
                "", "portico", false},
           Case{"no class info, our controller's default of another name", kInternalDefault, "", "",
                "portico", false},
           Case{"ingressClassName ours", kPorticoClass, "", "portico", "portico", true},
           Case{"ingressClassName names a missing IngressClass", "", "", "portico", "portico",
                false},
           Case{"ingressClassName of another controller", both, "", "nginx", "portico", false},
           Case{"ingressClassName of our controller, another name", kPorticoClass + kInternalClass,
                "", "internal", "portico", false},
           Case{"ingressClassName with --ingress-class of that name",
                kPorticoClass + kInternalClass, "", "internal", "internal", true},
           Case{"ingressClassName of another controller under our name", kImpostorClass, "",
                "portico", "portico", false},
           Case{"annotation ours, no IngressClass needed", "", "portico", "", "portico", true},
           Case{"annotation of another class", kPorticoDefault, "nginx", "", "portico", false},
           Case{"annotation wins over ingressClassName (ours)", both, "portico", "nginx", "portico",
                true},
           Case{"annotation wins over ingressClassName (theirs)", both, "nginx", "portico",
                "portico", false},
           Case{"empty annotation counts as unset", kPorticoClass, "\"\"", "portico", "portico",
                true},
       }) {
    INFO(c.what);
    std::string yaml = kBackend + c.classes + IngressYaml(c.annotation, c.class_name);
    CompileOptions options;
    options.ingress_class = c.ours;
    CHECK(Describe(Compile(StateFromYaml(yaml), options)) == (c.served ? kServed : ""));
  }
}

TEST_CASE("Ingress class selection: TLS of another class's Ingress is not loaded", "[compiler]") {
  std::string yaml = std::string(kBackend) + kNginxClass + R"(---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: theirs, namespace: shop}
spec:
  ingressClassName: nginx
  tls: [{hosts: [a.test], secretName: missing}]
  rules:
  - host: a.test
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: nope, port: {number: 80}}}}
)";
  // Neither the missing Secret nor the missing Service is reported: the
  // object is another controller's.
  CHECK(Describe(Compile(StateFromYaml(yaml))) == "");
}

TEST_CASE("IngressRoute class selection: empty is ours, else the name must match", "[compiler]") {
  struct Case {
    std::string class_line;
    std::string ours;
    bool served;
  };
  for (const Case& c : {
           Case{"", "portico", true},
           Case{"  ingressClassName: portico\n", "portico", true},
           Case{"  ingressClassName: traefik\n", "portico", false},
           Case{"  ingressClassName: traefik\n", "traefik", true},
       }) {
    INFO(c.class_line << " with " << c.ours);
    std::string yaml = std::string(kBackend) + R"(---
apiVersion: portico.dev/v1alpha1
kind: IngressRoute
metadata: {name: site, namespace: shop}
spec:
)" + c.class_line + R"(  routes:
  - {match: Host(`a.test`), services: [{name: web, port: 80}]}
)";
    CompileOptions options;
    options.ingress_class = c.ours;
    CHECK(Describe(Compile(StateFromYaml(yaml), options)) ==
          (c.served ? "route shop/site/r0 priority 14 hosts a.test -> shop/site/r0/s0 "
                      "(IngressRoute/shop/site)\ncluster shop/web:http 10.0.0.1:8080\n"
                      "service shop/site/r0/s0 -> shop/web:http\n"
                    : ""));
  }
}

TEST_CASE("IngressClass decoding: controller required, namespace ignored, errors precise",
          "[compiler]") {
  ClusterState state = StateFromYaml(std::string(kBackend) + R"(---
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata:
  name: portico
  namespace: somewhere
  annotations: {ingressclass.kubernetes.io/is-default-class: "true"}
spec: {controller: portico.dev/ingress-controller}
)");
  REQUIRE(state.ingress_classes.size() == 1);
  const IngressClass& c = state.ingress_classes.begin()->second;
  CHECK(state.ingress_classes.begin()->first == ObjectKey{"", "portico"});
  CHECK(c.controller == "portico.dev/ingress-controller");
  CHECK(c.is_default);

  CHECK(testing::DecodeIssues(R"(apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: x}
spec: {}
)") == std::vector<std::string>{"test.yaml#0: IngressClass default/x: spec.controller: required"});
  CHECK(testing::DecodeIssues(R"(apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: x, annotations: [a]}
spec: {controller: a/b}
)") == std::vector<std::string>{"test.yaml#0: IngressClass default/x: metadata.annotations: must "
                                "be an object, got a list"});
  CHECK(testing::DecodeIssues(R"(apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: x, annotations: {kubernetes.io/ingress.class: 3}}
spec: {ingressClassName: portico}
)") == std::vector<std::string>{
           "test.yaml#0: Ingress default/x: metadata.annotations.kubernetes.io/ingress.class: "
           "must be a string, got an integer"});
}

}  // namespace
}  // namespace portico::controlplane
