// PublishServiceAddresses: which addresses of a Service object are published
// (load-balancer ingress, else ExternalName, else cluster IPs).
#include "controlplane/kube/publish_service.h"

#include <catch2/catch.hpp>

namespace portico::controlplane {
namespace {

std::vector<LoadBalancerAddress> AddressesOf(const char* json) {
  rapidjson::Document doc;
  doc.Parse(json);
  REQUIRE(doc.IsObject());
  return PublishServiceAddresses(doc);
}

using Addresses = std::vector<LoadBalancerAddress>;

TEST_CASE("publish service: load-balancer ingress first, IPs and hostnames in order",
          "[kube][publish_service]") {
  CHECK(AddressesOf(R"({"spec":{"type":"LoadBalancer","clusterIP":"10.96.0.10"},
      "status":{"loadBalancer":{"ingress":[{"ip":"203.0.113.7","ipMode":"VIP"},
      {"hostname":"lb.example.com"},{"ip":"2001:db8::7","hostname":"ignored.example.com"},
      {"ports":[]}]}}})") ==
        Addresses{{.ip = "203.0.113.7"}, {.hostname = "lb.example.com"}, {.ip = "2001:db8::7"}});
}

TEST_CASE("publish service: without load-balancer status, the cluster IPs",
          "[kube][publish_service]") {
  CHECK(AddressesOf(R"({"spec":{"type":"LoadBalancer","clusterIP":"10.96.0.10"},
      "status":{"loadBalancer":{}}})") == Addresses{{.ip = "10.96.0.10"}});
  // Dual stack: every cluster IP, once.
  CHECK(AddressesOf(R"({"spec":{"clusterIP":"10.96.0.10",
      "clusterIPs":["10.96.0.10","fd00::10","10.96.0.10"]}})") ==
        Addresses{{.ip = "10.96.0.10"}, {.ip = "fd00::10"}});
  CHECK(AddressesOf(R"({"spec":{"clusterIP":"10.96.0.10","clusterIPs":[]}})") ==
        Addresses{{.ip = "10.96.0.10"}});
  CHECK(AddressesOf(R"({"status":{"loadBalancer":{"ingress":[]}},
      "spec":{"clusterIP":"10.96.0.11"}})") == Addresses{{.ip = "10.96.0.11"}});
}

TEST_CASE("publish service: headless, ExternalName and malformed Services",
          "[kube][publish_service]") {
  CHECK(AddressesOf(R"({"spec":{"clusterIP":"None","clusterIPs":["None"]}})").empty());
  CHECK(AddressesOf(R"({"spec":{"type":"ExternalName","externalName":"db.example.com"}})") ==
        Addresses{{.hostname = "db.example.com"}});
  CHECK(AddressesOf(R"({"spec":{"type":"ExternalName"}})").empty());
  CHECK(AddressesOf(R"({"metadata":{"name":"x"}})").empty());
  CHECK(
      AddressesOf(R"({"spec":[],"status":{"loadBalancer":{"ingress":{"ip":"1.2.3.4"}}}})").empty());
  CHECK(AddressesOf(R"({"spec":{"clusterIP":7,"clusterIPs":[1,null]}})").empty());
}

}  // namespace
}  // namespace portico::controlplane
