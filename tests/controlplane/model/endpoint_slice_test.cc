#include "controlplane/model/endpoint_slice.h"

#include <catch2/catch.hpp>

#include "tests/controlplane/support/manifests.h"

namespace portico::controlplane {
namespace {

using testing::DecodeIssues;
using testing::StateFromYaml;
using Lines = std::vector<std::string>;

std::string Slice(const std::string& body,
                  const std::string& labels = "{kubernetes.io/service-name: web}") {
  return "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n"
         "metadata: {name: web-1, namespace: shop, labels: " +
         labels + "}\n" + body;
}

TEST_CASE("an EndpointSlice decodes with condition defaults", "[model][endpoint_slice]") {
  ClusterState state = StateFromYaml(
      Slice("addressType: IPv6\n"
            "ports: [{name: http, port: 8080}, {port: 9090, protocol: UDP}, {name: all}]\n"
            "endpoints:\n"
            "- addresses: ['2001:DB8::1']\n"
            "- addresses: ['2001:db8::2']\n"
            "  conditions: {ready: false}\n"
            "- addresses: ['2001:db8::3']\n"
            "  conditions: {ready: false, serving: true, terminating: true}\n"));
  const EndpointSlice& s = state.endpoint_slices.at({"shop", "web-1"});
  CHECK(s.service_name == "web");
  CHECK(s.address_type == AddressType::kIPv6);
  REQUIRE(s.ports.size() == 3);
  CHECK(s.ports[0].name == "http");
  CHECK(s.ports[0].port == 8080);
  CHECK(s.ports[1].name == "");
  CHECK(s.ports[1].protocol == "UDP");
  CHECK_FALSE(s.ports[2].port.has_value());
  REQUIRE(s.endpoints.size() == 3);
  CHECK(s.endpoints[0].addresses == Lines{"2001:db8::1"});  // canonical form
  CHECK(s.endpoints[0].conditions.ready);
  CHECK(s.endpoints[0].conditions.serving);
  CHECK_FALSE(s.endpoints[0].conditions.terminating);
  CHECK_FALSE(s.endpoints[1].conditions.ready);
  CHECK_FALSE(s.endpoints[1].conditions.serving);  // absent serving follows ready
  CHECK(s.endpoints[2].conditions.serving);
  CHECK(s.endpoints[2].conditions.terminating);
}

TEST_CASE("EndpointSlice errors are precise", "[model][endpoint_slice]") {
  const std::string prefix = "test.yaml#0: EndpointSlice shop/web-1: ";
  CHECK(DecodeIssues(Slice("addressType: IPv4\n", "{app: web}")) ==
        Lines{prefix +
              "metadata.labels[\"kubernetes.io/service-name\"]: required to tie the slice to its "
              "Service"});
  CHECK(DecodeIssues(Slice("addressType: FQDN\n")) ==
        Lines{prefix + "addressType: FQDN is not supported (proxies need IP addresses)"});
  CHECK(DecodeIssues(Slice("ports: []\n")) == Lines{prefix + "addressType: required"});
  CHECK(DecodeIssues(Slice("addressType: IPv4\nendpoints: [{addresses: ['::1']}]\n")) ==
        Lines{prefix + "endpoints[0].addresses[0]: must be an IPv4 address, got \"::1\""});
  CHECK(DecodeIssues(Slice("addressType: IPv4\nendpoints: [{addresses: [10.0.0.1.5]}]\n")) ==
        Lines{prefix + "endpoints[0].addresses[0]: must be an IPv4 address, got \"10.0.0.1.5\""});
  CHECK(DecodeIssues(Slice("addressType: IPv4\nendpoints: [{addresses: []}]\n")) ==
        Lines{prefix + "endpoints[0].addresses: required"});
  CHECK(DecodeIssues(Slice("addressType: IPv4\n"
                           "endpoints: [{addresses: [10.0.0.1], conditions: {ready: 'yes'}}]\n")) ==
        Lines{prefix + "endpoints[0].conditions.ready: must be true or false, got a string"});
  CHECK(DecodeIssues(Slice("addressType: IPv4\nports: [{port: 0}]\n")) ==
        Lines{prefix + "ports[0].port: must be between 1 and 65535, got 0"});
}

}  // namespace
}  // namespace portico::controlplane
