#include "dataplane/config/runtime_config.h"

#include <catch2/catch.hpp>

namespace portico::dataplane {
namespace {

v1::Snapshot Valid() {
  v1::Snapshot s;
  s.set_version("v1");
  auto* c = s.add_clusters();
  c->set_name("ns/svc:http");
  auto* e1 = c->add_endpoints();
  e1->set_address("10.0.0.1");
  e1->set_port(80);
  auto* e2 = c->add_endpoints();
  e2->set_address("fd00::2");
  e2->set_port(80);
  e2->set_terminating(true);
  auto* r = s.add_routes();
  r->set_name("ns/ing/r0/p0");
  r->set_host("a.test");
  r->mutable_path()->set_path("/api/");
  r->set_cluster("ns/svc:http");
  return s;
}

TEST_CASE("a valid snapshot builds a routable config", "[config]") {
  std::string error;
  auto config = RuntimeConfig::Build(Valid(), &error);
  REQUIRE(config != nullptr);
  CHECK(error.empty());
  CHECK(config->version() == "v1");
  const Route* route = config->routes().Match({.host = "a.test", .path = "/api"});
  REQUIRE(route != nullptr);  // "/api/" is stored as "/api"
  REQUIRE(route->cluster != nullptr);
  CHECK(route->cluster->ready.size() == 1);
  CHECK(route->cluster->ready[0].key == "10.0.0.1:80");
  CHECK(route->cluster->terminating[0].key == "[fd00::2]:80");
}

TEST_CASE("invalid snapshots are refused with the offending resource", "[config]") {
  std::string error;
  v1::Snapshot s = Valid();
  s.mutable_routes(0)->set_cluster("ns/missing:80");
  CHECK(RuntimeConfig::Build(s, &error) == nullptr);
  CHECK(error == "route ns/ing/r0/p0: unknown cluster ns/missing:80");

  s = Valid();
  s.mutable_clusters(0)->mutable_endpoints(0)->set_address("not-an-ip");
  CHECK(RuntimeConfig::Build(s, &error) == nullptr);
  CHECK(error == "cluster ns/svc:http: invalid endpoint address 'not-an-ip' port 80");

  s = Valid();
  s.mutable_routes(0)->mutable_path()->set_path("api");
  CHECK(RuntimeConfig::Build(s, &error) == nullptr);
  CHECK(error == "route ns/ing/r0/p0: path must start with '/'");

  s = Valid();
  s.mutable_routes(0)->set_host("bad host");
  CHECK(RuntimeConfig::Build(s, &error) == nullptr);
  CHECK(error == "route ns/ing/r0/p0: invalid host 'bad host'");

  s = Valid();
  s.clear_version();
  CHECK(RuntimeConfig::Build(s, &error) == nullptr);
  CHECK(error == "snapshot has no version");
}

}  // namespace
}  // namespace portico::dataplane
