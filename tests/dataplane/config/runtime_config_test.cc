#include "dataplane/config/runtime_config.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>

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
  const RouteAction* action = config->action(route->action);
  REQUIRE(action != nullptr);
  REQUIRE(action->backend != nullptr);
  CHECK(action->refusal.empty());
  const PickerFactory& backend = *action->backend;
  CHECK(backend.name() == "ns/svc:http");
  CHECK(backend.algorithm() == BalanceAlgorithm::kWeightedRoundRobin);
  REQUIRE(backend.slots().size() == 2);
  CHECK(backend.ready_count() == 1);
  CHECK(backend.slots()[0].identity == "10.0.0.1:80");
  CHECK(backend.slots()[1].identity == "[fd00::2]:80");
}

TEST_CASE("route paths are kept in the routing path's form", "[config]") {
  v1::Snapshot s = Valid();
  s.mutable_routes(0)->mutable_path()->set_path("/caf%c3%a9/");
  auto* exact = s.add_routes();
  *exact = s.routes(0);
  exact->set_name("ns/ing/r0/p1");
  exact->mutable_path()->set_path("/a%2fb%7e");
  exact->mutable_path()->set_kind(v1::PathMatch::EXACT);
  std::string error;
  auto config = RuntimeConfig::Build(s, &error);
  REQUIRE(config != nullptr);
  // Requests reach the routes with their escapes decoded (RoutingPath).
  const Route* prefix = config->routes().Match({.host = "a.test", .path = "/caf\xC3\xA9/x"});
  REQUIRE(prefix != nullptr);
  CHECK(prefix->name == "ns/ing/r0/p0");
  const Route* route = config->routes().Match({.host = "a.test", .path = "/a%2Fb~"});
  REQUIRE(route != nullptr);
  CHECK(route->name == "ns/ing/r0/p1");
}

// Valid() plus services: "lb" over the cluster and "split" of it with a
// second load-balanced service.
v1::Snapshot WithServices() {
  v1::Snapshot s = Valid();
  auto* lb = s.add_services();
  lb->set_name("ns/ir/r0/s0");
  auto* spec = lb->mutable_load_balancer();
  spec->set_cluster("ns/svc:http");
  spec->set_strategy(v1::LoadBalancedService::MAGLEV);
  spec->mutable_hash_key()->set_source(v1::HashKey::HEADER);
  spec->mutable_hash_key()->set_name("X-User");
  spec->set_rewrite_host(true);
  auto* other = s.add_services();
  other->set_name("ns/ir/r0/s1");
  other->mutable_load_balancer()->set_cluster("ns/svc:http");
  other->mutable_load_balancer()->mutable_sticky()->set_name("srv");
  auto* split = s.add_services();
  split->set_name("ns/ir/r0");
  auto* a = split->mutable_weighted()->add_children();
  a->set_service("ns/ir/r0/s0");
  a->set_weight(3);
  auto* b = split->mutable_weighted()->add_children();
  b->set_service("ns/ir/r0/s1");
  b->set_weight(1);
  auto* r = s.add_routes();
  r->set_name("ns/ir/r0");
  r->set_host("b.test");
  r->mutable_path()->set_path("/");
  r->set_service("ns/ir/r0");
  return s;
}

TEST_CASE("routes to services get balancers built from the snapshot's settings", "[config]") {
  std::string error;
  auto config = RuntimeConfig::Build(WithServices(), &error);
  REQUIRE(config != nullptr);
  CHECK(config->services().size() == 3);
  const Route* route = config->routes().Match({.host = "b.test", .path = "/x"});
  REQUIRE(route != nullptr);
  const PickerFactory& split = *config->action(route->action)->backend;
  CHECK(split.kind() == PickerFactory::Kind::kWeighted);
  REQUIRE(split.slots().size() == 2);
  const PickerFactory& hashed = *split.slots()[0].service;
  CHECK(hashed.algorithm() == BalanceAlgorithm::kMaglev);
  CHECK(hashed.hash_header() == "x-user");
  CHECK(hashed.rewrite_host());
  CHECK(hashed.state_key() == "ns/svc:http");  // health is the cluster's
  const PickerFactory& sticky = *split.slots()[1].service;
  CHECK(sticky.sticky());
  CHECK(sticky.cookie_name() == "srv");
  CHECK_FALSE(sticky.rewrite_host());
}

TEST_CASE("middlewares: retry is applied, others refuse the route by name", "[config]") {
  v1::Snapshot s = WithServices();
  auto* retry = s.add_middlewares();
  retry->set_name("ns/retry");
  retry->set_type("retry");
  retry->mutable_retry()->set_attempts(4);
  retry->mutable_retry()->set_initial_interval_ms(100);
  auto* headers = s.add_middlewares();
  headers->set_name("ns/hdr");
  headers->set_type("headers");
  s.mutable_routes(1)->add_middlewares("ns/retry");
  s.mutable_routes(1)->mutable_timeouts()->set_total_ms(2500);
  std::string error;
  auto config = RuntimeConfig::Build(s, &error);
  REQUIRE(config != nullptr);
  const RouteAction* action = config->action(config->routes().Match({.host = "b.test", .path = "/"})->action);
  REQUIRE(action->retry.has_value());
  CHECK(action->retry->attempts == 4);
  CHECK(action->retry->initial_interval_ms == 100);
  CHECK(action->total_timeout_ms == 2500);
  CHECK(action->refusal.empty());

  s.mutable_routes(1)->add_middlewares("ns/hdr");
  config = RuntimeConfig::Build(s, &error);
  REQUIRE(config != nullptr);
  action = config->action(config->routes().Match({.host = "b.test", .path = "/"})->action);
  CHECK(action->refusal == "middleware ns/hdr (headers) is not run by this proxy");

  s.mutable_routes(1)->add_middlewares("ns/missing");
  CHECK(RuntimeConfig::Build(s, &error) == nullptr);
  CHECK(error == "route ns/ir/r0: unknown middleware ns/missing");

  s = WithServices();
  retry = s.add_middlewares();
  retry->set_name("ns/retry");
  retry->set_type("retry");
  retry->mutable_retry()->set_attempts(0);
  s.mutable_routes(1)->add_middlewares("ns/retry");
  CHECK(RuntimeConfig::Build(s, &error) == nullptr);
  CHECK(error == "middleware ns/retry: retry.attempts 0 is not in [1, 100]");
}

TEST_CASE("services that do not resolve refuse the snapshot, naming them", "[config]") {
  std::string error;
  v1::Snapshot s = WithServices();
  s.mutable_routes(1)->set_service("ns/nope");
  CHECK(RuntimeConfig::Build(s, &error) == nullptr);
  CHECK(error == "route ns/ir/r0: unknown service ns/nope");

  s = WithServices();
  s.mutable_services(0)->mutable_load_balancer()->set_cluster("ns/gone:80");
  CHECK(RuntimeConfig::Build(s, &error) == nullptr);
  CHECK(error == "service ns/ir/r0/s0: unknown cluster ns/gone:80");

  s = WithServices();
  s.mutable_services(2)->mutable_weighted()->mutable_children(0)->set_service("ns/ir/r0");
  CHECK(RuntimeConfig::Build(s, &error) == nullptr);
  CHECK(error == "service ns/ir/r0: refers to itself through its children");

  s = WithServices();
  s.mutable_services(1)->mutable_load_balancer()->mutable_sticky()->set_same_site("sometimes");
  CHECK(RuntimeConfig::Build(s, &error) == nullptr);
  CHECK(error ==
        "service ns/ir/r0/s1: sticky.cookie.sameSite: 'sometimes' is not one of none, lax, strict");

  s = WithServices();
  s.mutable_services(0)->mutable_load_balancer()->mutable_hash_key()->set_name("bad header");
  CHECK(RuntimeConfig::Build(s, &error) == nullptr);
  CHECK(error.starts_with("service ns/ir/r0/s0: cluster ns/svc:http: hashKey.header"));

  s = WithServices();
  s.mutable_services(0)->mutable_load_balancer()->mutable_passive_health()->set_failure_window_ms(
      1000);  // max_failed_attempts 0
  CHECK(RuntimeConfig::Build(s, &error) == nullptr);
  CHECK(error.starts_with("service ns/ir/r0/s0: cluster ns/svc:http: passiveHealthCheck"));
}

TEST_CASE("a service's passiveHealthCheck gives its balancer its own rules and state",
          "[config]") {
  v1::Snapshot s = WithServices();
  v1::PassiveHealthCheck* passive =
      s.mutable_services(0)->mutable_load_balancer()->mutable_passive_health();
  passive->set_failure_window_ms(2500);
  passive->set_max_failed_attempts(3);
  std::string error;
  auto config = RuntimeConfig::Build(s, &error);
  REQUIRE(config != nullptr);
  const Route* route = config->routes().Match({.host = "b.test", .path = "/x"});
  REQUIRE(route != nullptr);
  const PickerFactory& own = *config->action(route->action)->backend->slots()[0].service;
  CHECK(own.state_key() == "ns/svc:http|passive|2500|3");
  REQUIRE(own.passive_health() != nullptr);
  CHECK(own.passive_health()->consecutive_failures == 3);
  CHECK(own.passive_health()->base_ejection_ms == 2500);
  CHECK(own.passive_health()->max_ejection_ms == 2500);
  CHECK(own.passive_health()->failure_window_ms == 2500);
  const PickerFactory& other = *config->action(route->action)->backend->slots()[1].service;
  CHECK(other.passive_health() == nullptr);
  CHECK(other.state_key() == "ns/svc:http");
}

TEST_CASE("https services carry their ServersTransport, one the proxy cannot apply answers 503",
          "[config]") {
  v1::Snapshot s = WithServices();
  s.mutable_services(1)->mutable_load_balancer()->set_scheme("https");
  std::string error;
  auto config = RuntimeConfig::Build(s, &error);  // the default transport
  REQUIRE(config != nullptr);
  const RouteAction* action =
      config->action(config->routes().Match({.host = "b.test", .path = "/"})->action);
  CHECK(action->refusal == "");
  CHECK(config->services().Service("ns/ir/r0/s1")->tls() != nullptr);
  CHECK(config->services().Service("ns/ir/r0/s0")->tls() == nullptr);

  s.mutable_services(1)->mutable_load_balancer()->set_servers_transport("ns/st");
  CHECK(RuntimeConfig::Build(s, &error) == nullptr);
  CHECK(error == "service ns/ir/r0/s1: unknown serversTransport ns/st");

  v1::ServersTransport* transport = s.add_servers_transports();
  transport->set_name("ns/st");
  transport->set_root_cas_pem("not a certificate");
  config = RuntimeConfig::Build(s, &error);
  REQUIRE(config != nullptr);
  action = config->action(config->routes().Match({.host = "b.test", .path = "/"})->action);
  CHECK(action->refusal ==
        "service ns/ir/r0/s1: serversTransport ns/st: rootCAs: holds no PEM certificate");
}

TEST_CASE("TLS contexts on the system trust store are built again once its file changes",
          "[config]") {
  // The trust store: an empty file is enough (OpenSSL loads no CA from it).
  char path[] = "/tmp/portico-trust-XXXXXX";
  int fd = mkstemp(path);
  REQUIRE(fd >= 0);
  ::close(fd);
  const char* saved = std::getenv("SSL_CERT_FILE");
  std::string saved_value = saved != nullptr ? saved : "";
  ::setenv("SSL_CERT_FILE", path, 1);
  v1::Snapshot s = WithServices();
  s.mutable_services(1)->mutable_load_balancer()->set_scheme("https");
  std::string error;
  auto first = RuntimeConfig::Build(s, &error);
  REQUIRE(first != nullptr);
  auto same = RuntimeConfig::Build(s, &error, first.get());
  REQUIRE(same != nullptr);
  // Unchanged: the context (and the sessions and pooled connections keyed
  // by its id) carries over.
  CHECK(same->services().Service("ns/ir/r0/s1")->tls()->id() ==
        first->services().Service("ns/ir/r0/s1")->tls()->id());
  std::string stamp = SystemTrustStoreStamp();
  {
    std::FILE* f = std::fopen(path, "w");
    REQUIRE(f != nullptr);
    std::fputs("# an updated bundle\n", f);
    std::fclose(f);
  }
  CHECK(SystemTrustStoreStamp() != stamp);
  auto updated = RuntimeConfig::Build(s, &error, same.get());
  REQUIRE(updated != nullptr);
  CHECK(updated->services().Service("ns/ir/r0/s1")->tls()->id() !=
        same->services().Service("ns/ir/r0/s1")->tls()->id());
  if (saved != nullptr) {
    ::setenv("SSL_CERT_FILE", saved_value.c_str(), 1);
  } else {
    ::unsetenv("SSL_CERT_FILE");
  }
  std::remove(path);
}

TEST_CASE("a service with a scheme the proxy does not speak answers 503 with the reason, health "
          "checks are listed",
          "[config]") {
  v1::Snapshot s = WithServices();
  s.mutable_services(1)->mutable_load_balancer()->set_scheme("h2c");
  auto* check = s.mutable_services(0)->mutable_load_balancer()->mutable_health_check();
  check->set_path("/healthz");
  check->set_interval_ms(1000);
  auto* second = s.mutable_services(1)->mutable_load_balancer()->mutable_health_check();
  second->set_path("/other");
  std::string error;
  auto config = RuntimeConfig::Build(s, &error);
  REQUIRE(config != nullptr);
  const RouteAction* action = config->action(config->routes().Match({.host = "b.test", .path = "/"})->action);
  CHECK(action->refusal == "service ns/ir/r0/s1: scheme h2c is not supported by this proxy yet");
  REQUIRE(config->services().health_checks().size() == 1);  // one per cluster
  CHECK(config->services().health_checks()[0].check.path() == "/healthz");
  CHECK(config->services().health_checks()[0].cluster->name == "ns/svc:http");
  CHECK(config->services().warnings().size() == 1);

  check->set_path("healthz");
  CHECK(RuntimeConfig::Build(s, &error) == nullptr);
  CHECK(error == "service ns/ir/r0/s0: health_check.path 'healthz' must start with '/'");
}

TEST_CASE("a new config reuses the balancing tables of unchanged services", "[config]") {
  std::string error;
  auto first = RuntimeConfig::Build(WithServices(), &error);
  REQUIRE(first != nullptr);
  auto second = RuntimeConfig::Build(WithServices(), &error, first.get());
  REQUIRE(second != nullptr);
  const PickerFactory& a = *first->services().Service("ns/ir/r0/s0");
  const PickerFactory& b = *second->services().Service("ns/ir/r0/s0");
  CHECK(&a != &b);
  CHECK(a.maglev(0) == b.maglev(0));  // shared, not rebuilt
  CHECK(first->services().ForCluster("ns/svc:http")->schedule(0) ==
        second->services().ForCluster("ns/svc:http")->schedule(0));
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

TEST_CASE("a refusal blames the resource by key, for the NACK", "[config]") {
  auto blamed = [](const v1::Snapshot& s) {
    ConfigError error;
    CHECK(RuntimeConfig::Build(s, &error) == nullptr);
    CHECK_FALSE(error.message.empty());
    return error.resource_key;
  };
  v1::Snapshot s = Valid();
  s.mutable_routes(0)->set_cluster("ns/missing:80");
  CHECK(blamed(s) == "route/ns/ing/r0/p0");

  s = Valid();
  s.mutable_clusters(0)->mutable_endpoints(0)->set_address("not-an-ip");
  CHECK(blamed(s) == "cluster/ns/svc:http");

  s = WithServices();
  s.mutable_services(0)->mutable_load_balancer()->set_cluster("ns/gone:80");
  CHECK(blamed(s) == "service/ns/ir/r0/s0");

  s = WithServices();
  s.mutable_routes(0)->add_middlewares("ns/absent");
  CHECK(blamed(s) == "route/" + s.routes(0).name());

  s = Valid();
  s.mutable_routes(0)->mutable_tls()->set_options("ns/no-such-option");
  CHECK(blamed(s) == "route/ns/ing/r0/p0");

  s = Valid();
  auto* cert = s.add_certificates();
  cert->set_name("ns/broken");
  cert->set_cert_chain_pem("not a certificate");
  CHECK(blamed(s) == "certificate/ns/broken");

  s = Valid();
  s.clear_version();
  ConfigError whole;
  CHECK(RuntimeConfig::Build(s, &whole) == nullptr);
  CHECK(whole.resource_key.empty());  // the snapshot as a whole
}

TEST_CASE("an endpoint-only change keeps the routes and rebuilds the balancers", "[config]") {
  std::string error;
  v1::Snapshot s = WithServices();
  auto* other = s.add_clusters();
  other->set_name("ns/other:80");
  other->add_endpoints()->set_address("10.0.1.1");
  other->mutable_endpoints(0)->set_port(80);
  auto first = RuntimeConfig::Build(s, &error);
  REQUIRE(first != nullptr);
  auto* added = s.mutable_clusters(0)->add_endpoints();
  added->set_address("10.0.0.9");
  added->set_port(80);
  s.set_version("v2");
  ConfigError fast_error;
  auto second = RuntimeConfig::WithEndpoints(*first, SharedSnapshot::FromMessage(s),
                                             {"ns/svc:http"}, &fast_error);
  REQUIRE(second != nullptr);
  CHECK(second->version() == "v2");
  CHECK(&second->routes() == &first->routes());  // shared, not rebuilt
  CHECK(&second->tls() == &first->tls());
  const Route* route = second->routes().Match({.host = "a.test", .path = "/api"});
  REQUIRE(route != nullptr);
  const PickerFactory& backend = *second->action(route->action)->backend;
  REQUIRE(backend.ready_count() == 2);
  CHECK(backend.slots()[1].identity == "10.0.0.9:80");
  // The old config still serves its own requests with its own endpoints.
  CHECK(first->action(route->action)->backend->ready_count() == 1);
  // What the delta did not touch is shared, balancers included.
  CHECK(second->services().ForCluster("ns/other:80") == first->services().ForCluster("ns/other:80"));
  CHECK(second->services().ForCluster("ns/svc:http") != first->services().ForCluster("ns/svc:http"));

  // A cluster that went away while a service still names it: refused.
  s.mutable_clusters(0)->set_name("ns/renamed:http");
  CHECK(RuntimeConfig::WithEndpoints(*first, SharedSnapshot::FromMessage(s),
                                     {"ns/renamed:http", "ns/svc:http"}, &fast_error) == nullptr);
  CHECK(fast_error.message == "service ns/ir/r0/s0: unknown cluster ns/svc:http");
  CHECK(fast_error.resource_key == "service/ns/ir/r0/s0");
}

TEST_CASE("a rebuild keeps the TLS table while its inputs stay the same", "[config]") {
  v1::Snapshot s = Valid();
  auto* option = s.add_tls_options();
  option->set_name("ns/modern");
  option->set_min_version(v1::TLS_1_3);
  s.mutable_routes(0)->mutable_tls()->set_options("ns/modern");
  ConfigError error;
  auto first = RuntimeConfig::Build(s, &error);
  REQUIRE(first != nullptr);

  // A plain route more: the same certificates, options and TLS hosts.
  auto* plain = s.add_routes();
  plain->set_name("ns/ing/r1/p0");
  plain->set_host("b.test");
  plain->mutable_path()->set_path("/");
  plain->set_cluster("ns/svc:http");
  s.set_version("v2");
  auto second = RuntimeConfig::Build(s, &error, first.get());
  REQUIRE(second != nullptr);
  CHECK(&second->tls() == &first->tls());

  // Each input on its own makes a new table.
  v1::Snapshot options = s;
  options.mutable_tls_options(0)->set_min_version(v1::TLS_1_2);
  auto third = RuntimeConfig::Build(options, &error, second.get());
  REQUIRE(third != nullptr);
  CHECK(&third->tls() != &second->tls());
  v1::Snapshot host = s;
  host.mutable_routes(0)->set_host("c.test");
  auto fourth = RuntimeConfig::Build(host, &error, second.get());
  REQUIRE(fourth != nullptr);
  CHECK(&fourth->tls() != &second->tls());

  // A TLS route without a host naming an unknown option is still refused.
  v1::Snapshot unknown = s;
  unknown.mutable_routes(1)->clear_host();
  unknown.mutable_routes(1)->mutable_tls()->set_options("ns/absent");
  CHECK(RuntimeConfig::Build(unknown, &error, second.get()) == nullptr);
  CHECK(error.resource_key == "route/ns/ing/r1/p0");
}

TEST_CASE("routes share an action only when backend and middlewares are the same", "[config]") {
  // Names crafted so that plain concatenation would give one key: route 0
  // to cluster "x|mns/auth" with no middleware, route 1 to cluster "x"
  // behind middleware "ns/auth". Route 1 must keep its own action, which
  // refuses traffic (this proxy does not run that middleware type).
  v1::Snapshot s = Valid();
  s.mutable_clusters(0)->set_name("x|mns/auth");
  s.mutable_routes(0)->set_cluster("x|mns/auth");
  auto* x = s.add_clusters();
  *x = s.clusters(0);
  x->set_name("x");
  auto* m = s.add_middlewares();
  m->set_name("ns/auth");
  m->set_type("forwardAuth");
  auto* r = s.add_routes();
  *r = s.routes(0);
  r->set_name("ns/ing/r1/p0");
  r->set_host("b.test");
  r->set_cluster("x");
  r->add_middlewares("ns/auth");
  std::string error;
  auto config = RuntimeConfig::Build(s, &error);
  REQUIRE(config != nullptr);
  const Route* plain = config->routes().Match({.host = "a.test", .path = "/api/"});
  const Route* guarded = config->routes().Match({.host = "b.test", .path = "/api/"});
  REQUIRE(plain != nullptr);
  REQUIRE(guarded != nullptr);
  CHECK(plain->action != guarded->action);
  CHECK(config->action(plain->action)->middleware_refusal.empty());
  CHECK_FALSE(config->action(guarded->action)->middleware_refusal.empty());
}

}  // namespace
}  // namespace portico::dataplane
