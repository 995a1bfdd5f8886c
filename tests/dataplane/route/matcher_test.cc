#include "dataplane/route/matcher.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <google/protobuf/text_format.h>
#include <catch2/catch.hpp>

namespace portico::dataplane {
namespace {

// Trees are written out literally, as the controller would send them.
std::unique_ptr<const RouteMatcher> Build(const std::string& text_proto) {
  v1::Matcher m;
  REQUIRE(google::protobuf::TextFormat::ParseFromString(text_proto, &m));
  std::string error;
  auto matcher = RouteMatcher::Build(m, &error);
  INFO(error);
  REQUIRE(matcher != nullptr);
  return matcher;
}

std::string BuildError(const std::string& text_proto) {
  v1::Matcher m;
  REQUIRE(google::protobuf::TextFormat::ParseFromString(text_proto, &m));
  std::string error;
  auto matcher = RouteMatcher::Build(m, &error);
  return matcher ? "built" : error;
}

MatchInput Request(std::string_view host, std::string_view path = "/") {
  return MatchInput{.method = "GET", .host = host, .path = path};
}

sockaddr_storage Peer(const char* ip) {
  sockaddr_storage ss{};
  if (std::string_view(ip).find(':') != std::string_view::npos) {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&ss);
    in6->sin6_family = AF_INET6;
    inet_pton(AF_INET6, ip, &in6->sin6_addr);
  } else {
    auto* in = reinterpret_cast<sockaddr_in*>(&ss);
    in->sin_family = AF_INET;
    inet_pton(AF_INET, ip, &in->sin_addr);
  }
  return ss;
}

TEST_CASE("hosts: exact ignores a trailing dot, wildcard is one label, any_host takes all",
          "[matcher]") {
  auto exact = Build(R"(host: "a.test")");
  CHECK(exact->Matches(Request("a.test")));
  CHECK(exact->Matches(Request("a.test.")));
  CHECK_FALSE(exact->Matches(Request("b.a.test")));
  CHECK_FALSE(exact->Matches(Request("")));

  auto wildcard = Build(R"(host_wildcard: "*.a.test")");
  CHECK(wildcard->Matches(Request("x.a.test")));
  CHECK(wildcard->Matches(Request("x.a.test.")));
  CHECK_FALSE(wildcard->Matches(Request("a.test")));
  CHECK_FALSE(wildcard->Matches(Request(".a.test")));
  CHECK_FALSE(wildcard->Matches(Request("x.y.a.test")));
  CHECK_FALSE(wildcard->Matches(Request("xa.test")));

  auto any = Build("any_host: true");
  CHECK(any->Matches(Request("")));
  CHECK(any->Matches(Request("whatever.test")));

  auto re = Build(R"(host_regexp: "^[a-z]+\\.b\\.test$")");
  CHECK(re->Matches(Request("abc.b.test")));
  CHECK_FALSE(re->Matches(Request("a1.b.test")));
}

TEST_CASE("paths: exact, plain string prefix, unanchored regexp", "[matcher]") {
  auto exact = Build(R"(path: "/products")");
  CHECK(exact->Matches(Request("h", "/products")));
  CHECK_FALSE(exact->Matches(Request("h", "/products/")));

  auto prefix = Build(R"(path_prefix: "/products")");
  CHECK(prefix->Matches(Request("h", "/products")));
  CHECK(prefix->Matches(Request("h", "/products-for-sale")));  // Traefik: a string prefix
  CHECK_FALSE(prefix->Matches(Request("h", "/product")));

  auto re = Build(R"pb(path_regexp: "\\.(png|jpg)")pb");
  CHECK(re->Matches(Request("h", "/img/a.png")));
  CHECK(re->Matches(Request("h", "/a.png/x")));  // unanchored
  CHECK_FALSE(re->Matches(Request("h", "/a.gif")));
}

TEST_CASE("path values are compared in the routing path's form", "[matcher]") {
  // The request's routing path has its escapes decoded except reserved
  // characters' (RoutingPath); a rule written with escapes means the same.
  auto exact = Build(R"(path: "/caf%C3%A9")");
  CHECK(exact->Matches(Request("h", "/caf\xC3\xA9")));
  auto prefix = Build(R"(path_prefix: "/a%2fb/%7Euser")");
  CHECK(prefix->Matches(Request("h", "/a%2Fb/~user/x")));
  CHECK_FALSE(prefix->Matches(Request("h", "/a/b/~user")));
}

TEST_CASE("method compares exactly", "[matcher]") {
  auto get = Build(R"(method: "GET")");
  MatchInput in = Request("h");
  CHECK(get->Matches(in));
  in.method = "get";
  CHECK_FALSE(get->Matches(in));
  in.method = "POST";
  CHECK_FALSE(get->Matches(in));
}

TEST_CASE("headers: any field with the name, values trimmed, names case-insensitive", "[matcher]") {
  HeaderList headers = {{"Accept", "text/html"}, {"X-Canary", " 0 "}, {"x-canary", "1"}};
  MatchInput in = Request("h");
  in.headers = &headers;
  CHECK(Build(R"(header { name: "x-canary" value: "1" })")->Matches(in));
  CHECK(Build(R"(header { name: "x-canary" value: "0" })")->Matches(in));
  CHECK_FALSE(Build(R"(header { name: "x-canary" value: "2" })")->Matches(in));
  CHECK_FALSE(Build(R"(header { name: "accept" value: "text" })")->Matches(in));
  CHECK(Build(R"(header_regexp { name: "accept" value: "^text/" })")->Matches(in));
  CHECK_FALSE(Build(R"(header_regexp { name: "x-other" value: "" })")->Matches(in));
  in.headers = nullptr;
  CHECK_FALSE(Build(R"(header { name: "accept" value: "text/html" })")->Matches(in));
}

TEST_CASE("query: Go's ParseQuery semantics", "[matcher]") {
  auto q = [](std::string_view query, const char* tree) {
    MatchInput in = Request("h");
    in.query = query;
    return Build(tree)->Matches(in);
  };
  const char* mobile = R"(query { name: "mobile" value: "true" })";
  CHECK(q("mobile=true", mobile));
  CHECK(q("a=1&mobile=false&mobile=true", mobile));
  CHECK_FALSE(q("mobile=false", mobile));
  CHECK_FALSE(q("mobile=true;x=1", mobile));  // a ';' spoils the pair, as in Go
  CHECK(q("x=1;y&mobile=true", mobile));
  CHECK(q("m%6Fbile=tru%65", mobile));
  CHECK_FALSE(q("mobile=true%zz", mobile));  // malformed escape: the pair is skipped
  CHECK_FALSE(q("mobile=tru%6", mobile));
  CHECK(q("mobile=tru%6&mobile=true", mobile));

  const char* spaced = R"(query { name: "a b" value: "c d+" })";
  CHECK(q("a+b=c+d%2B", spaced));
  CHECK(q("a%20b=c%20d%2b", spaced));
  CHECK_FALSE(q("a+b=c+d+", spaced));

  const char* present = R"(query { name: "debug" })";
  CHECK(q("debug", present));
  CHECK(q("debug=", present));
  CHECK(q("x&&debug&", present));
  CHECK_FALSE(q("debug=1", present));
  CHECK_FALSE(q("", present));
  CHECK(q("=v", R"(query { name: "" value: "v" })"));

  const char* re = R"(query_regexp { name: "id" value: "^[0-9]+ x$" })";
  CHECK(q("id=42+x", re));
  CHECK(q("id=4%32%20x", re));
  CHECK_FALSE(q("id=4a+x", re));
  CHECK_FALSE(q("other=42+x", re));
}

TEST_CASE("client IP: the peer address only, IPv4-mapped peers match IPv4 networks", "[matcher]") {
  auto net = Build(R"(client_ip: "10.0.0.0/8")");
  auto v6 = Build(R"(client_ip: "2001:db8::/32")");
  MatchInput in = Request("h");
  CHECK_FALSE(net->Matches(in));  // no peer
  for (auto [ip, in_net, in_v6] :
       {std::tuple{"10.1.2.3", true, false}, std::tuple{"11.0.0.1", false, false},
        std::tuple{"::ffff:10.9.9.9", true, false}, std::tuple{"2001:db8::7", false, true},
        std::tuple{"2001:db9::7", false, false}}) {
    INFO(ip);
    sockaddr_storage peer = Peer(ip);
    in.peer = reinterpret_cast<const sockaddr*>(&peer);
    CHECK(net->Matches(in) == in_net);
    CHECK(v6->Matches(in) == in_v6);
  }
}

TEST_CASE("ALPN: any offered protocol", "[matcher]") {
  auto h2 = Build(R"(alpn: "h2")");
  MatchInput in;
  CHECK_FALSE(h2->Matches(in));
  std::string_view offered[] = {"http/1.1", "h2"};
  in.alpn = offered;
  CHECK(h2->Matches(in));
  in.alpn = std::span<const std::string_view>(offered, 1);
  CHECK_FALSE(h2->Matches(in));
}

TEST_CASE("operators", "[matcher]") {
  auto rule = Build(R"(all_of {
      matchers { any_of { matchers { host: "a.test" } matchers { host_wildcard: "*.b.test" } } }
      matchers { not { path_prefix: "/admin" } } })");
  CHECK(rule->Matches(Request("a.test", "/")));
  CHECK(rule->Matches(Request("x.b.test", "/x")));
  CHECK_FALSE(rule->Matches(Request("a.test", "/admin/x")));
  CHECK_FALSE(rule->Matches(Request("c.test", "/")));
}

TEST_CASE("a malformed tree is refused with the path of the bad node", "[matcher]") {
  CHECK(BuildError("") == "match: no matcher set");
  CHECK(BuildError("all_of {}") == "match.all_of: no matchers");
  CHECK(BuildError(R"(any_of { matchers { host: "a" } matchers { not { } } })") ==
        "match.any_of[1].not: no matcher set");
  CHECK(BuildError(R"(all_of { matchers { path_regexp: "(" } })") ==
        "match.all_of[0].path_regexp: invalid regular expression: missing ): (");
  CHECK(BuildError("any_host: false") == "match.any_host: must be true when set");
  CHECK(BuildError(R"(host: "A.test")") ==
        "match.host: must be a non-empty lower-case host without a trailing dot");
  CHECK(BuildError(R"(host: "")") ==
        "match.host: must be a non-empty lower-case host without a trailing dot");
  CHECK(BuildError(R"(host_wildcard: "a.test")") ==
        "match.host_wildcard: must be a lower-case \"*.suffix\"");
  CHECK(BuildError(R"(host_wildcard: "*.*.test")") ==
        "match.host_wildcard: must be a lower-case \"*.suffix\"");
  CHECK(BuildError(R"(path: "x")") == "match.path: must start with '/'");
  CHECK(BuildError(R"(path_prefix: "")") == "match.path_prefix: must start with '/'");
  CHECK(BuildError(R"(method: "")") == "match.method: empty");
  CHECK(BuildError(R"(header { value: "x" })") == "match.header: empty header name");
  CHECK(BuildError(R"(header_regexp { name: "a" value: "[" })") ==
        "match.header_regexp: invalid regular expression: missing ]: [");
  CHECK(BuildError(R"(query_regexp { name: "a" value: "*" })") ==
        "match.query_regexp: invalid regular expression: no argument for repetition "
        "operator: *");
  CHECK(BuildError(R"(client_ip: "10.0.0.0/8,11.0.0.0/8")") ==
        "match.client_ip: one address or network, not a list");
  CHECK(BuildError(R"(client_ip: "nope")") ==
        "match.client_ip: 'nope' is not an IP address or CIDR network");
  CHECK(BuildError(R"(client_ip: "")") == "match.client_ip: empty");
  CHECK(BuildError(R"(alpn: "")") == "match.alpn: empty");

  v1::Matcher deep;
  deep.set_host("a");
  for (int i = 0; i < 64; ++i) {
    v1::Matcher outer;
    *outer.mutable_not_() = deep;
    deep = outer;
  }
  std::string error;
  CHECK(RouteMatcher::Build(deep, &error) == nullptr);
  CHECK(error.ends_with(".not: nested deeper than 64 levels"));
}

TEST_CASE("query helpers", "[matcher]") {
  QueryParamReader reader("a=1&&b&c=%41;&d=%4&=e&f=g=h");
  RawQueryParam p;
  std::vector<std::string> seen;
  while (reader.Next(&p)) seen.push_back(std::string(p.name) + "|" + std::string(p.value));
  CHECK(seen == std::vector<std::string>{"a|1", "b|", "|e", "f|g=h"});
  std::string out;
  QueryDecode("a+b%2Fc", &out);
  CHECK(out == "a b/c");
  CHECK(QueryDecodedEquals("a+b%2Fc", "a b/c"));
  CHECK_FALSE(QueryDecodedEquals("a+b%2Fc", "a b/"));
  CHECK_FALSE(QueryDecodedEquals("a+b", "a b/c"));
}

}  // namespace
}  // namespace portico::dataplane
