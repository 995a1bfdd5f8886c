#include "dataplane/route/route_table.h"

#include <catch2/catch.hpp>

namespace portico::dataplane {
namespace {

Route R(std::string name, std::string host, PathKind kind, std::string path) {
  return Route{
      .name = std::move(name), .host = std::move(host), .kind = kind, .path = std::move(path)};
}

// A rule route: filed under `hosts`, matched by `match` alone.
Route Rule(std::string name, std::vector<std::string> hosts, const v1::Matcher& match) {
  std::string error;
  Route route{.name = std::move(name), .has_path = false};
  route.matcher = RouteMatcher::Build(match, &error);
  REQUIRE(route.matcher != nullptr);
  route.hosts = std::move(hosts);
  return route;
}

v1::Matcher HostAndPrefix(const std::string& host, const std::string& prefix) {
  v1::Matcher m;
  v1::MatcherList* all = m.mutable_all_of();
  all->add_matchers()->set_host(host);
  all->add_matchers()->set_path_prefix(prefix);
  return m;
}

std::string MatchName(const RouteTable& table, std::string_view host, std::string_view path,
                      std::string_view method = "GET") {
  const Route* r = table.Match({.method = method, .host = host, .path = path});
  return r ? r->name : "none";
}

TEST_CASE("prefix paths match element by element", "[route]") {
  CHECK(PathMatches(PathKind::kPrefix, "/foo", "/foo"));
  CHECK(PathMatches(PathKind::kPrefix, "/foo", "/foo/"));
  CHECK(PathMatches(PathKind::kPrefix, "/foo", "/foo/bar"));
  CHECK_FALSE(PathMatches(PathKind::kPrefix, "/foo", "/foobar"));
  CHECK(PathMatches(PathKind::kPrefix, "/", "/anything"));
  CHECK(PathMatches(PathKind::kExact, "/foo", "/foo"));
  CHECK_FALSE(PathMatches(PathKind::kExact, "/foo", "/foo/"));
}

TEST_CASE("the first route in snapshot order wins", "[route]") {
  // The controller's order: longer first, Exact before Prefix at equal length.
  std::vector<Route> routes = {
      R("api-v1", "a.test", PathKind::kPrefix, "/api/v1"),
      R("api-exact", "a.test", PathKind::kExact, "/api"),
      R("api-prefix", "a.test", PathKind::kPrefix, "/api"),
      R("root", "a.test", PathKind::kPrefix, "/"),
  };
  RouteTable table(routes);
  CHECK(MatchName(table, "a.test", "/api") == "api-exact");
  CHECK(MatchName(table, "a.test", "/api/") == "api-prefix");
  CHECK(MatchName(table, "a.test", "/api/v1/x") == "api-v1");
  CHECK(MatchName(table, "a.test", "/apix") == "root");
}

TEST_CASE("hosts: exact, one-label wildcard and any host, merged in order", "[route]") {
  std::vector<Route> routes = {
      R("any-long", "", PathKind::kPrefix, "/only/this/long/path"),
      R("exact", "a.foo.com", PathKind::kPrefix, "/"),
      R("wild", "*.foo.com", PathKind::kPrefix, "/"),
      R("any", "", PathKind::kPrefix, "/only"),
  };
  RouteTable table(routes);
  CHECK(MatchName(table, "a.foo.com", "/") == "exact");
  CHECK(MatchName(table, "a.foo.com", "/only/this/long/path/x") == "any-long");
  CHECK(MatchName(table, "b.foo.com", "/") == "wild");
  CHECK(MatchName(table, "foo.com", "/") == "none");
  CHECK(MatchName(table, "x.b.foo.com", "/") == "none");
  CHECK(MatchName(table, "x.b.foo.com", "/only/this") == "any");
  CHECK(MatchName(table, "other.test", "/") == "none");
}

TEST_CASE("rule routes are filed under every host they require", "[route]") {
  v1::Matcher either;
  v1::MatcherList* any = either.mutable_any_of();
  any->add_matchers()->set_host("a.test");
  any->add_matchers()->set_host("b.test");
  v1::Matcher post;
  post.set_method("POST");
  std::vector<Route> routes = {
      Rule("a-api", {"a.test"}, HostAndPrefix("a.test", "/api")),
      Rule("post-anywhere", {}, post),
      Rule("a-or-b", {"a.test", "b.test"}, either),
      R("ingress-c", "c.test", PathKind::kPrefix, "/"),
  };
  RouteTable table(routes);
  CHECK(MatchName(table, "a.test", "/apiv2") == "a-api");  // PathPrefix is a string prefix
  CHECK(MatchName(table, "a.test", "/other") == "a-or-b");
  CHECK(MatchName(table, "b.test", "/api") == "a-or-b");
  CHECK(MatchName(table, "b.test", "/api", "POST") == "post-anywhere");
  CHECK(MatchName(table, "c.test", "/") == "ingress-c");
  CHECK(MatchName(table, "c.test", "/", "POST") == "post-anywhere");
  CHECK(MatchName(table, "d.test", "/") == "none");
}

TEST_CASE("unrelated hosts' routes are never evaluated", "[route]") {
  // 10 000 routes on other hosts, each with a rule that would match
  // anything: a request for one host only sees its own bucket.
  std::vector<Route> routes;
  v1::Matcher catch_all;
  catch_all.set_path_prefix("/");
  for (int i = 0; i < 10'000; ++i) {
    routes.push_back(Rule("r" + std::to_string(i), {"h" + std::to_string(i) + ".test"}, catch_all));
  }
  RouteTable table(routes);
  CHECK(MatchName(table, "h9999.test", "/") == "r9999");
  CHECK(MatchName(table, "h0.test", "/x") == "r0");
  CHECK(MatchName(table, "nobody.test", "/") == "none");
}

}  // namespace
}  // namespace portico::dataplane

namespace portico::dataplane {
namespace {

TEST_CASE("routes with entrypoints serve only there", "[route]") {
  Route internal = R("internal", "a.test", PathKind::kPrefix, "/");
  internal.entrypoints = {"admin", "internal"};
  std::vector<Route> routes = {internal, R("public", "a.test", PathKind::kPrefix, "/")};
  RouteTable table(routes);
  auto on = [&](std::string_view entrypoint) {
    const Route* r = table.Match({.method = "GET", .host = "a.test", .path = "/"}, entrypoint);
    return r ? r->name : "none";
  };
  CHECK(on("internal") == "internal");
  CHECK(on("admin") == "internal");
  CHECK(on("web") == "public");
  CHECK(on("") == "public");
}

}  // namespace
}  // namespace portico::dataplane
