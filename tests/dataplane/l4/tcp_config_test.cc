// RuntimeConfig's checks of TCP routes: every reference resolves, or the
// snapshot is refused naming the route.
#include <catch2/catch.hpp>

#include "dataplane/config/runtime_config.h"

namespace portico::dataplane {
namespace {

v1::Snapshot Base() {
  v1::Snapshot s;
  s.set_version("v1");
  auto* cluster = s.add_clusters();
  cluster->set_name("default/db:5432");
  auto* ep = cluster->add_endpoints();
  ep->set_address("127.0.0.1");
  ep->set_port(5432);
  auto* route = s.add_tcp_routes();
  route->set_name("default/db/r0");
  route->mutable_match()->set_any_host(true);
  auto* backend = route->add_backends();
  backend->set_cluster("default/db:5432");
  backend->set_weight(1);
  return s;
}

std::string Refusal(const v1::Snapshot& s, std::string* key = nullptr) {
  ConfigError error;
  auto config = RuntimeConfig::Build(s, &error);
  if (key != nullptr) *key = error.resource_key;
  return config == nullptr ? error.message : "";
}

TEST_CASE("a valid TCP route builds and is found per entrypoint", "[l4]") {
  v1::Snapshot s = Base();
  s.mutable_tcp_routes(0)->add_entrypoints("db");
  std::string error;
  auto config = RuntimeConfig::Build(s, &error);
  REQUIRE(config != nullptr);
  CHECK(config->tcp().For("db").plain);
  CHECK_FALSE(config->tcp().For("db").tls);
  CHECK_FALSE(config->tcp().For("web").plain);
  sockaddr_storage peer{};
  REQUIRE(ParseEndpointAddress("10.1.2.3", 1, &peer));
  MatchInput input{.peer = reinterpret_cast<const sockaddr*>(&peer)};
  REQUIRE(config->tcp().MatchPlain(input, "db") != nullptr);
  CHECK(config->tcp().MatchPlain(input, "db")->route == "default/db/r0");
  CHECK(config->tcp().MatchPlain(input, "web") == nullptr);
}

TEST_CASE("TCP routes with unresolved references are refused precisely", "[l4]") {
  std::string key;
  v1::Snapshot s = Base();
  s.mutable_tcp_routes(0)->mutable_backends(0)->set_cluster("default/nope:1");
  CHECK(Refusal(s, &key) == "TCP route default/db/r0: unknown cluster default/nope:1");
  CHECK(key == "tcp_route/default/db/r0");

  s = Base();
  s.mutable_tcp_routes(0)->add_middlewares("default/missing");
  CHECK(Refusal(s) == "TCP route default/db/r0: unknown TCP middleware default/missing");

  s = Base();
  s.mutable_tcp_routes(0)->mutable_backends(0)->set_servers_transport("default/st");
  CHECK(Refusal(s) == "TCP route default/db/r0: unknown ServersTransportTCP default/st");

  s = Base();
  s.mutable_tcp_routes(0)->mutable_tls()->set_options("default/strict");
  s.mutable_tcp_routes(0)->mutable_match()->set_host("db.test");
  CHECK(Refusal(s) == "TCP route default/db/r0: unknown TLS option default/strict");

  s = Base();
  s.mutable_tcp_routes(0)->add_hosts("db.test");  // a server name without TLS
  CHECK(Refusal(s).find("cannot match a server name") != std::string::npos);

  s = Base();
  auto* m = s.add_tcp_middlewares();
  m->set_name("default/allow");
  m->mutable_ip_allow_list()->add_ranges("10.0.0.0/33");
  s.mutable_tcp_routes(0)->add_middlewares("default/allow");
  CHECK(Refusal(s, &key).starts_with("MiddlewareTCP default/allow: ipAllowList: "));
  CHECK(key == "tcp_middleware/default/allow");

  s = Base();
  auto* t = s.add_tcp_servers_transports();
  t->set_name("default/st");
  t->set_proxy_protocol_version(3);
  CHECK(Refusal(s) == "ServersTransportTCP default/st: proxy_protocol_version 3 is not 0, 1 or 2");

  s = Base();
  t = s.add_tcp_servers_transports();
  t->set_name("default/st");
  auto* cert = t->mutable_tls()->add_certificates();
  cert->set_name("default/client");
  cert->set_cert_chain_pem("not a certificate");
  cert->set_private_key_pem("not a key");
  // Unused by any TLS backend, its TLS is never built (nor checked).
  std::string error;
  CHECK(dataplane::RuntimeConfig::Build(s, &error) != nullptr);
  s.mutable_tcp_routes(0)->mutable_backends(0)->set_servers_transport("default/st");
  CHECK(dataplane::RuntimeConfig::Build(s, &error) != nullptr);
  s.mutable_tcp_routes(0)->mutable_backends(0)->set_tls(true);
  std::string refusal = Refusal(s);
  CHECK(refusal.starts_with("ServersTransportTCP default/st: "));
  CHECK(refusal.find("not a key") == std::string::npos);
}

TEST_CASE("an endpoint-only change that drops a TCP route's cluster is refused", "[l4]") {
  v1::Snapshot s = Base();
  ConfigError error;
  auto config = RuntimeConfig::Build(s, &error);
  REQUIRE(config != nullptr);
  v1::Snapshot next = s;
  next.set_version("v2");
  next.clear_clusters();
  auto updated = RuntimeConfig::WithEndpoints(*config, SharedSnapshot::FromMessage(next),
                                              {"default/db:5432"}, &error);
  CHECK(updated == nullptr);
  CHECK(error.message == "unknown cluster default/db:5432 (a TCP route uses it)");
}

}  // namespace
}  // namespace portico::dataplane
