#include "dataplane/route/route_table.h"

#include <catch2/catch.hpp>

namespace portico::dataplane {
namespace {

Route R(std::string name, std::string host, PathKind kind, std::string path) {
  return Route{
      .name = std::move(name), .host = std::move(host), .kind = kind, .path = std::move(path)};
}

std::string MatchName(const RouteTable& table, std::string_view host, std::string_view path) {
  const Route* r = table.Match(host, path);
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

TEST_CASE("longest path wins, Exact before Prefix at equal length", "[route]") {
  std::vector<Route> routes = {
      R("root", "a.test", PathKind::kPrefix, "/"),
      R("api-prefix", "a.test", PathKind::kPrefix, "/api"),
      R("api-exact", "a.test", PathKind::kExact, "/api"),
      R("api-v1", "a.test", PathKind::kPrefix, "/api/v1"),
  };
  RouteTable table(routes);
  CHECK(MatchName(table, "a.test", "/api") == "api-exact");
  CHECK(MatchName(table, "a.test", "/api/") == "api-prefix");
  CHECK(MatchName(table, "a.test", "/api/v1/x") == "api-v1");
  CHECK(MatchName(table, "a.test", "/apix") == "root");
}

TEST_CASE("hosts: exact, then one-label wildcard, then any host", "[route]") {
  std::vector<Route> routes = {
      R("exact", "a.foo.com", PathKind::kPrefix, "/"),
      R("wild", "*.foo.com", PathKind::kPrefix, "/"),
      R("any", "", PathKind::kPrefix, "/only"),
  };
  RouteTable table(routes);
  CHECK(MatchName(table, "a.foo.com", "/") == "exact");
  CHECK(MatchName(table, "b.foo.com", "/") == "wild");
  CHECK(MatchName(table, "foo.com", "/") == "none");
  CHECK(MatchName(table, "x.b.foo.com", "/") == "none");
  CHECK(MatchName(table, "x.b.foo.com", "/only/this") == "any");
  CHECK(MatchName(table, "other.test", "/") == "none");
}

}  // namespace
}  // namespace portico::dataplane
