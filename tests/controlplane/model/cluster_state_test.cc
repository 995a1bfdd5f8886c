#include "controlplane/model/cluster_state.h"

#include <catch2/catch.hpp>

#include "controlplane/model/kind_registry.h"
#include "tests/controlplane/support/manifests.h"

namespace portico::controlplane {
namespace {

using testing::DecodeIssues;
using testing::ObjectsFromYaml;
using Lines = std::vector<std::string>;

TEST_CASE("the kind registry knows exactly the kinds of this issue", "[model][kind_registry]") {
  CHECK(FindKind("v1", "Service") != nullptr);
  CHECK(FindKind("discovery.k8s.io/v1", "EndpointSlice") != nullptr);
  CHECK(FindKind("networking.k8s.io/v1", "Ingress") != nullptr);
  CHECK(FindKind("networking.k8s.io/v1beta1", "Ingress") == nullptr);
  CHECK(FindKind("v1", "ConfigMap") == nullptr);
}

TEST_CASE("objects are keyed by namespace and name, the first duplicate wins",
          "[model][cluster_state]") {
  std::string yaml =
      "apiVersion: v1\nkind: Service\nmetadata: {name: b, namespace: x}\n---\n"
      "apiVersion: v1\nkind: Service\nmetadata: {name: a, namespace: x}\n"
      "spec: {ports: [{port: 80}]}\n---\n"
      "apiVersion: v1\nkind: Service\nmetadata: {name: a, namespace: x}\n"
      "spec: {ports: [{port: 81}]}\n---\n"
      "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ignored}\n";
  ClusterStateBuild build = BuildClusterState(ObjectsFromYaml(yaml));
  REQUIRE(build.state.services.size() == 2);
  CHECK(build.state.services.begin()->first.name == "a");
  CHECK(build.state.services.at({"x", "a"}).ports[0].port == 80);
  REQUIRE(build.issues.size() == 1);
  CHECK(build.issues[0].origin == "test.yaml#2");
  CHECK(build.issues[0].message == "Service x/a: duplicate of the one in test.yaml#1, ignored");
}

TEST_CASE("the items of a v1 List are objects of their own", "[model][cluster_state]") {
  std::string yaml =
      "apiVersion: v1\nkind: List\nitems:\n"
      "- {apiVersion: v1, kind: Service, metadata: {name: a}}\n"
      "- {apiVersion: v1, kind: Service, metadata: {name: B}}\n"
      "- {apiVersion: v1, kind: List, items: []}\n";
  ClusterStateBuild build = BuildClusterState(ObjectsFromYaml(yaml));
  REQUIRE(build.state.services.size() == 1);
  CHECK(build.state.services.at({"default", "a"}).meta.origin == "test.yaml#0/items[0]");
  std::vector<std::string> issues;
  for (const SourceIssue& i : build.issues) issues.push_back(i.origin + ": " + i.message);
  CHECK(issues ==
        Lines{"test.yaml#0/items[1]: Service: metadata.name: must be a DNS subdomain (lowercase "
              "letters, digits, '-' and '.'), got \"B\"",
              "test.yaml#0/items[2]: a List inside a List is not supported"});
  CHECK(DecodeIssues("apiVersion: v1\nkind: List\nitems: {}\n") ==
        Lines{"test.yaml#0: List: items: must be a list, got an object"});
}

TEST_CASE("type and metadata errors are reported", "[model][cluster_state]") {
  CHECK(DecodeIssues("- not an object\n") ==
        Lines{"test.yaml#0: a manifest must be an object, got a list"});
  CHECK(DecodeIssues("kind: Service\n") == Lines{"test.yaml#0: apiVersion: required"});
  CHECK(DecodeIssues("apiVersion: v1\n") == Lines{"test.yaml#0: kind: required"});
  CHECK(DecodeIssues("apiVersion: v1\nkind: Service\n") ==
        Lines{"test.yaml#0: Service: metadata: required"});
  CHECK(DecodeIssues("apiVersion: v1\nkind: Service\nmetadata: {namespace: x}\n") ==
        Lines{"test.yaml#0: Service: metadata.name: required"});
  CHECK(DecodeIssues("apiVersion: v1\nkind: Service\nmetadata: {name: Web}\n") ==
        Lines{"test.yaml#0: Service: metadata.name: must be a DNS subdomain (lowercase letters, "
              "digits, '-' and '.'), got \"Web\""});
  CHECK(DecodeIssues("apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: a/b}\n") ==
        Lines{"test.yaml#0: Service: metadata.namespace: must be a DNS label (lowercase letters, "
              "digits and '-'), got \"a/b\""});
  CHECK(DecodeIssues("apiVersion: v1\nkind: Service\nmetadata: {name: web, labels: {a: 1}}\n") ==
        Lines{"test.yaml#0: Service: metadata.labels.a: must be a string, got an integer"});
}

}  // namespace
}  // namespace portico::controlplane
