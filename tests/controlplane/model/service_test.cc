#include "controlplane/model/service.h"

#include <catch2/catch.hpp>

#include "tests/controlplane/support/manifests.h"

namespace portico::controlplane {
namespace {

using testing::DecodeIssues;
using testing::StateFromYaml;
using Lines = std::vector<std::string>;

std::string ServiceWith(const std::string& spec) {
  return "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n" + spec;
}

TEST_CASE("a Service decodes with its defaults", "[model][service]") {
  ClusterState state = StateFromYaml(
      ServiceWith("  ports:\n"
                  "  - {name: http, port: 80}\n"
                  "  - {name: admin, port: 9000, targetPort: admin-port, protocol: TCP}\n"
                  "  - {name: dns, port: 53, targetPort: 5353, protocol: UDP}\n"));
  REQUIRE(state.services.size() == 1);
  const Service& s = state.services.at({"default", "web"});
  CHECK(s.meta.namespace_name == "default");
  CHECK(s.meta.origin == "test.yaml#0");
  CHECK(s.type == ServiceType::kClusterIP);
  REQUIRE(s.ports.size() == 3);
  CHECK(s.ports[0].name == "http");
  CHECK(s.ports[0].port == 80);
  CHECK(s.ports[0].target_port_number == 80);  // defaults to port
  CHECK(s.ports[0].protocol == "TCP");
  CHECK(s.ports[1].target_port_name == "admin-port");
  CHECK(s.ports[1].target_port_number == 0);
  CHECK(s.ports[2].target_port_number == 5353);
  CHECK(s.ports[2].protocol == "UDP");
}

TEST_CASE("an ExternalName Service is kept", "[model][service]") {
  ClusterState state =
      StateFromYaml(ServiceWith("  type: ExternalName\n  externalName: db.example.com\n"));
  CHECK(state.services.at({"default", "web"}).type == ServiceType::kExternalName);
  CHECK(state.services.at({"default", "web"}).external_name == "db.example.com");
}

TEST_CASE("Service errors are precise", "[model][service]") {
  struct Case {
    std::string spec;
    std::string error;
  };
  const std::string prefix = "test.yaml#0: Service default/web: ";
  for (const Case& c : {
           Case{"  ports: [{name: a}]\n", "spec.ports[0].port: required"},
           Case{"  ports: [{port: 0}]\n", "spec.ports[0].port: must be between 1 and 65535, got 0"},
           Case{"  ports: [{port: \"80\"}]\n",
                "spec.ports[0].port: must be an integer, got a string"},
           Case{"  ports: [{port: 80, targetPort: 70000}]\n",
                "spec.ports[0].targetPort: must be between 1 and 65535, got 70000"},
           Case{"  ports: [{port: 80, targetPort: Bad_Name}]\n",
                "spec.ports[0].targetPort: a named port must be a DNS label of at most 15 "
                "characters, got \"Bad_Name\""},
           Case{"  ports: [{port: 80, protocol: HTTP}]\n",
                "spec.ports[0].protocol: must be TCP, UDP or SCTP, got \"HTTP\""},
           Case{"  ports: [{name: a, port: 80}, {port: 81}]\n",
                "spec.ports[1].name: required when a Service has several ports"},
           Case{"  ports: [{name: a, port: 80}, {name: a, port: 81}]\n",
                "spec.ports[1].name: duplicate port name \"a\""},
           Case{"  ports: {port: 80}\n", "spec.ports: must be a list, got an object"},
           Case{"  ports: [{name: '8080', port: 80}]\n",
                "spec.ports[0].name: must be a DNS label with at least one letter, got \"8080\""},
           Case{"  type: Headless\n",
                "spec.type: must be ClusterIP, NodePort, LoadBalancer or ExternalName, got "
                "\"Headless\""},
       }) {
    INFO(c.spec);
    CHECK(DecodeIssues(ServiceWith(c.spec)) == Lines{prefix + c.error});
  }
}

}  // namespace
}  // namespace portico::controlplane
