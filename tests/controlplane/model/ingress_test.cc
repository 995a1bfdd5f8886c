#include "controlplane/model/ingress.h"

#include <catch2/catch.hpp>

#include "tests/controlplane/support/manifests.h"

namespace portico::controlplane {
namespace {

using testing::DecodeIssues;
using testing::StateFromYaml;
using Lines = std::vector<std::string>;

std::string IngressWith(const std::string& spec) {
  return "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: web, namespace: "
         "shop}\nspec:\n" +
         spec;
}

std::string OnePath(const std::string& path_fields) {
  return IngressWith("  rules:\n  - http:\n      paths:\n      - " + path_fields + "\n");
}

const std::string kBackend = "backend: {service: {name: web, port: {number: 80}}}";

TEST_CASE("an Ingress decodes rules, paths and the default backend", "[model][ingress]") {
  ClusterState state = StateFromYaml(IngressWith(
      "  defaultBackend: {service: {name: fallback, port: {name: http}}}\n"
      "  rules:\n"
      "  - host: Shop.Example.COM\n"
      "    http:\n"
      "      paths:\n"
      "      - {path: /api, pathType: Exact, " +
      kBackend +
      "}\n"
      "      - {pathType: ImplementationSpecific, " +
      kBackend +
      "}\n"
      "  - host: '*.example.com'\n"
      "  - http:\n"
      "      paths:\n"
      "      - {path: /x, pathType: Prefix, backend: {resource: {apiGroup: k8s.example.com, "
      "kind: Bucket, name: b}}}\n"));
  const Ingress& ing = state.ingresses.at({"shop", "web"});
  REQUIRE(ing.default_backend.has_value());
  CHECK(ing.default_backend->service_name == "fallback");
  CHECK(ing.default_backend->port_name == "http");
  REQUIRE(ing.rules.size() == 3);
  CHECK(ing.rules[0].host == "shop.example.com");
  REQUIRE(ing.rules[0].paths.size() == 2);
  CHECK(ing.rules[0].paths[0].type == PathType::kExact);
  CHECK(ing.rules[0].paths[0].path == "/api");
  CHECK(ing.rules[0].paths[0].backend.port_number == 80);
  CHECK(ing.rules[0].paths[1].type == PathType::kImplementationSpecific);
  CHECK(ing.rules[0].paths[1].path == "/");
  CHECK(ing.rules[1].host == "*.example.com");
  CHECK(ing.rules[1].paths.empty());
  CHECK(ing.rules[2].host == "");
  CHECK(ing.rules[2].paths[0].backend.resource == "k8s.example.com/Bucket/b");
}

TEST_CASE("an Ingress keeps Portico's timeout annotations as written, no others",
          "[model][ingress]") {
  ClusterState state = StateFromYaml(R"(apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  namespace: shop
  annotations:
    portico.dev/connect-timeout: 250ms
    portico.dev/request-timeout: 30
    portico.dev/response-header-timeout: true
    portico.dev/unknown: x
    kubectl.kubernetes.io/last-applied-configuration: "{}"
spec:
  defaultBackend: {service: {name: web, port: {number: 80}}}
)");
  // An integer is kept as its text; another type as "", which the
  // compiler then refuses with the annotation's name.
  CHECK(state.ingresses.at({"shop", "web"}).portico_annotations ==
        std::map<std::string, std::string>{{"portico.dev/connect-timeout", "250ms"},
                                           {"portico.dev/request-timeout", "30"},
                                           {"portico.dev/response-header-timeout", ""}});
}

TEST_CASE("Ingress errors are precise", "[model][ingress]") {
  struct Case {
    std::string yaml;
    std::string error;
  };
  const std::string prefix = "test.yaml#0: Ingress shop/web: ";
  for (const Case& c : {
           Case{OnePath("{path: /, pathType: Regex, " + kBackend + "}"),
                "spec.rules[0].http.paths[0].pathType: must be Exact, Prefix or "
                "ImplementationSpecific, got \"Regex\""},
           Case{OnePath("{path: /, " + kBackend + "}"),
                "spec.rules[0].http.paths[0].pathType: required"},
           Case{OnePath("{pathType: Prefix, " + kBackend + "}"),
                "spec.rules[0].http.paths[0].path: required"},
           Case{OnePath("{path: api, pathType: Prefix, " + kBackend + "}"),
                "spec.rules[0].http.paths[0].path: must be an absolute path starting with '/'"},
           Case{OnePath("{path: /a/../b, pathType: Exact, " + kBackend + "}"),
                "spec.rules[0].http.paths[0].path: must not contain \"/../\""},
           Case{OnePath("{path: '/a b', pathType: Exact, " + kBackend + "}"),
                "spec.rules[0].http.paths[0].path: must hold only printable ASCII without spaces, "
                "got \"/a b\""},
           Case{OnePath("{path: /, pathType: Prefix}"),
                "spec.rules[0].http.paths[0].backend: required"},
           Case{OnePath("{path: /, pathType: Prefix, backend: {service: {name: web}}}"),
                "spec.rules[0].http.paths[0].backend.service.port: required"},
           Case{OnePath("{path: /, pathType: Prefix, backend: {service: {name: web, port: "
                        "{number: 80, name: http}}}}"),
                "spec.rules[0].http.paths[0].backend.service.port: must set exactly one of "
                "number, name"},
           Case{OnePath("{path: /, pathType: Prefix, backend: {service: {name: web, port: "
                        "{number: 0}}}}"),
                "spec.rules[0].http.paths[0].backend.service.port.number: must be between 1 and "
                "65535, got 0"},
           Case{OnePath("{path: /, pathType: Prefix, backend: {}}"),
                "spec.rules[0].http.paths[0].backend: must set exactly one of service, resource"},
           Case{IngressWith("  rules:\n  - host: 'shop.example.com:8080'\n"),
                "spec.rules[0].host: must not contain a port, got \"shop.example.com:8080\""},
           Case{IngressWith("  rules:\n  - host: 10.0.0.1\n"),
                "spec.rules[0].host: must be a DNS name, not an IP address, got \"10.0.0.1\""},
           Case{IngressWith("  rules:\n  - host: 'a.*.example.com'\n"),
                "spec.rules[0].host: must be a DNS name (lowercase letters, digits, '-' and '.') "
                "optionally prefixed by \"*.\", got \"a.*.example.com\""},
           Case{IngressWith("  rules:\n  - http: {}\n"), "spec.rules[0].http.paths: required"},
           Case{IngressWith("  rules: {}\n"), "spec.rules: must be a list, got an object"},
       }) {
    INFO(c.yaml);
    CHECK(DecodeIssues(c.yaml) == Lines{prefix + c.error});
  }
}

}  // namespace
}  // namespace portico::controlplane
