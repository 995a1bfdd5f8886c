#include "controlplane/translate/snapshot_translator.h"

#include <openssl/sha.h>

#include <catch2/catch.hpp>

#include "common/snapshot/snapshot_digest.h"

namespace portico::controlplane {
namespace {

std::string HexOf(const unsigned char* bytes, size_t size) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < size; ++i) {
    out += kHex[bytes[i] >> 4];
    out += kHex[bytes[i] & 15];
  }
  return out;
}

CompileResult Sample() {
  CompileResult result;
  result.routes = {
      {.name = "shop/web/r0/p0",
       .host = "shop.example.com",
       .kind = PathKind::kExact,
       .path = "/api",
       .cluster = "shop/web:http",
       .source = "Ingress/shop/web"},
      {.name = "shop/web/default",
       .host = "",
       .kind = PathKind::kPrefix,
       .path = "/",
       .cluster = "",
       .source = "Ingress/shop/web"},
  };
  result.clusters = {{.name = "shop/web:http",
                      .endpoints = {{"10.0.0.1", 8080, false}, {"10.0.0.2", 8080, true}}}};
  result.diagnostics = {{"Ingress/shop/web", "BackendNotFound", "not in the snapshot"}};
  return result;
}

TEST_CASE("the snapshot carries routes and clusters in the given order", "[translate]") {
  v1::Snapshot s = TranslateSnapshot(Sample());
  REQUIRE(s.routes_size() == 2);
  CHECK(s.routes(0).name() == "shop/web/r0/p0");
  CHECK(s.routes(0).host() == "shop.example.com");
  CHECK(s.routes(0).path().kind() == v1::PathMatch::EXACT);
  CHECK(s.routes(0).path().path() == "/api");
  CHECK(s.routes(0).cluster() == "shop/web:http");
  CHECK(s.routes(0).source() == "Ingress/shop/web");
  CHECK(s.routes(1).path().kind() == v1::PathMatch::PREFIX);
  CHECK(s.routes(1).cluster().empty());
  REQUIRE(s.clusters_size() == 1);
  CHECK(s.clusters(0).name() == "shop/web:http");
  REQUIRE(s.clusters(0).endpoints_size() == 2);
  CHECK(s.clusters(0).endpoints(0).address() == "10.0.0.1");
  CHECK(s.clusters(0).endpoints(0).port() == 8080);
  CHECK_FALSE(s.clusters(0).endpoints(0).terminating());
  CHECK(s.clusters(0).endpoints(1).terminating());
}

std::string Sha256(std::string_view bytes) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), digest);
  return std::string(reinterpret_cast<const char*>(digest), sizeof digest);
}

std::string LittleEndian64(uint64_t n) {
  std::string le(8, '\0');
  for (int i = 0; i < 8; ++i) le[static_cast<size_t>(i)] = static_cast<char>(n >> (8 * i));
  return le;
}

TEST_CASE("the version is the SHA-256 over the hashes of the snapshot's parts", "[translate]") {
  // docs/snapshot-protocol.md, "Versions are digests": SHA-256 of the scheme
  // name (with its NUL), the hash of everything but routes, clusters and
  // version, then count and hashes of the routes, then of the clusters.
  // Pinned, since replicas and releases must agree on it.
  CHECK(TranslateSnapshot({}).version() ==
        "c216580a2df304cf32b9f22ff5c0f78497c517161b7ea400d3bce84f429510f2");

  v1::Snapshot s = TranslateSnapshot(Sample());
  REQUIRE(s.routes_size() > 0);
  REQUIRE(s.clusters_size() > 0);
  v1::Snapshot rest = s;  // no maps: plain serialization is deterministic
  rest.clear_version();
  rest.clear_routes();
  rest.clear_clusters();
  std::string input("portico.v1.Snapshot/parts-1", sizeof "portico.v1.Snapshot/parts-1");
  input += Sha256(rest.SerializeAsString());
  input += LittleEndian64(static_cast<uint64_t>(s.routes_size()));
  for (const v1::Route& route : s.routes()) input += Sha256(route.SerializeAsString());
  input += LittleEndian64(static_cast<uint64_t>(s.clusters_size()));
  for (const v1::Cluster& cluster : s.clusters()) input += Sha256(cluster.SerializeAsString());
  std::string digest = Sha256(input);
  CHECK(s.version() == HexOf(reinterpret_cast<const unsigned char*>(digest.data()), digest.size()));
  CHECK(SnapshotDigest(s) == s.version());  // a set version does not feed into itself

  // A route moved into another position is another snapshot.
  v1::Snapshot swapped = s;
  swapped.add_routes()->set_name("z");
  swapped.mutable_routes()->SwapElements(0, swapped.routes_size() - 1);
  v1::Snapshot appended = s;
  appended.add_routes()->set_name("z");
  CHECK(SnapshotDigest(swapped) != SnapshotDigest(appended));
}

TEST_CASE("any change of content changes the version", "[translate]") {
  CompileResult changed = Sample();
  changed.clusters[0].endpoints[1].terminating = false;
  CHECK(TranslateSnapshot(changed).version() != TranslateSnapshot(Sample()).version());
  CHECK(TranslateSnapshot(Sample()).version() == TranslateSnapshot(Sample()).version());
}

TEST_CASE("TLS options and a TLS route's option reach the snapshot", "[translate]") {
  CompileResult result = Sample();
  result.routes[0].tls = true;
  result.routes[0].tls_options = "shop/mtls";
  result.tls_options = {{.name = "shop/mtls",
                         .min_version = TlsVersion::kTls13,
                         .max_version = TlsVersion::kUnspecified,
                         .cipher_suites = {"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"},
                         .curve_preferences = {"P-256"},
                         .alpn_protocols = {"http/1.1"},
                         .sni_strict = true,
                         .client_auth = ClientAuthType::kVerifyIfGiven,
                         .client_ca_pem = "CA PEM",
                         .client_ca_secrets = {"shop/ca"},
                         .disable_session_tickets = true}};
  v1::Snapshot s = TranslateSnapshot(result);
  CHECK(s.routes(0).tls().options() == "shop/mtls");
  CHECK_FALSE(s.routes(1).has_tls());
  REQUIRE(s.tls_options_size() == 1);
  const v1::TlsOption& o = s.tls_options(0);
  CHECK(o.name() == "shop/mtls");
  CHECK(o.min_version() == v1::TLS_1_3);
  CHECK(o.max_version() == v1::TLS_VERSION_UNSPECIFIED);
  CHECK(o.cipher_suites(0) == "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256");
  CHECK(o.curve_preferences(0) == "P-256");
  CHECK(o.alpn_protocols(0) == "http/1.1");
  CHECK(o.sni_strict());
  CHECK(o.client_auth().type() == v1::VERIFY_CLIENT_CERT_IF_GIVEN);
  CHECK(o.client_auth().ca_bundle_pem() == "CA PEM");
  CHECK(o.client_auth().ca_secrets(0) == "shop/ca");
  CHECK(o.disable_session_tickets());
}

TEST_CASE("the translator shares the parts of unchanged routes and clusters", "[translate]") {
  SnapshotTranslator translator;
  SharedSnapshot first = translator.Translate(Sample());
  CHECK(first.version() == TranslateSnapshot(Sample()).version());
  CHECK(first.ToMessage().SerializeAsString() == TranslateSnapshot(Sample()).SerializeAsString());

  CompileResult changed = Sample();
  changed.routes[1].path = "/shop";
  changed.clusters[0].endpoints.pop_back();
  SharedSnapshot second = translator.Translate(changed);
  CHECK(second.version() == TranslateSnapshot(changed).version());
  CHECK(second.route_parts()[0] == first.route_parts()[0]);  // the same part, not a copy
  CHECK(second.route_parts()[1] != first.route_parts()[1]);
  CHECK(second.routes(1).path().path() == "/shop");
  CHECK(second.cluster_parts()[0] != first.cluster_parts()[0]);
  CHECK(second.clusters(0).endpoints_size() == 1);
  CHECK(second.shared_rest() != nullptr);

  // Moved to another index: still shared.
  CompileResult reordered = changed;
  std::swap(reordered.routes[0], reordered.routes[1]);
  SharedSnapshot third = translator.Translate(reordered);
  CHECK(third.route_parts()[1] == second.route_parts()[0]);
  CHECK(third.route_parts()[0] == second.route_parts()[1]);
  CHECK(third.version() == TranslateSnapshot(reordered).version());
}

TEST_CASE("the translator forgets routes that went away", "[translate]") {
  SnapshotTranslator translator;
  SharedSnapshot both = translator.Translate(Sample());
  CompileResult one = Sample();
  one.routes.pop_back();
  SharedSnapshot fewer = translator.Translate(one);
  REQUIRE(fewer.routes_size() == 1);
  CHECK(fewer.route_parts()[0] == both.route_parts()[0]);
  // Back again: translated anew, since its cache entry was swept.
  SharedSnapshot again = translator.Translate(Sample());
  CHECK(again.route_parts()[1] != both.route_parts()[1]);
  CHECK(again.route_parts()[1]->hash == both.route_parts()[1]->hash);
  CHECK(again.version() == both.version());
}

TEST_CASE("the translator notices a change of a route's shared rule tree", "[translate]") {
  // RouteMatch compares trees by content: a new tree with other content
  // must not be taken for the cached one.
  CompileResult result = Sample();
  auto tree = std::make_shared<v1::Matcher>();
  tree->set_host("a.test");
  result.routes[0].match.tree = tree;
  SnapshotTranslator translator;
  SharedSnapshot first = translator.Translate(result);
  auto other = std::make_shared<v1::Matcher>(*tree);
  other->set_host("b.test");
  result.routes[0].match.tree = other;
  SharedSnapshot second = translator.Translate(result);
  CHECK(second.route_parts()[0] != first.route_parts()[0]);
  CHECK(second.version() == TranslateSnapshot(result).version());
  CHECK(second.version() != first.version());
}

TEST_CASE("the translator agrees with a whole translation over random edits", "[translate]") {
  uint64_t seed = 777;
  auto next = [&seed](uint64_t n) {
    seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
    return (seed >> 33) % n;
  };
  auto route = [](const std::string& name) {
    return Route{.name = name, .host = name + ".test", .path = "/", .cluster = "c/x:80"};
  };
  CompileResult result;
  for (int i = 0; i < 30; ++i) result.routes.push_back(route("r" + std::to_string(i)));
  result.clusters = {{.name = "c/x:80", .endpoints = {{"10.0.0.1", 80, false}}}};
  SnapshotTranslator translator;
  for (int round = 0; round < 300; ++round) {
    std::vector<Route>& routes = result.routes;
    switch (next(6)) {
      case 0:
        if (!routes.empty()) routes.erase(routes.begin() + static_cast<long>(next(routes.size())));
        break;
      case 1:
        routes.insert(routes.begin() + static_cast<long>(next(routes.size() + 1)),
                      route("n" + std::to_string(round)));
        break;
      case 2:
        if (!routes.empty()) routes[next(routes.size())].path = "/" + std::to_string(round);
        break;
      case 3:
        if (routes.size() > 1) std::swap(routes[next(routes.size())], routes[next(routes.size())]);
        break;
      case 4:  // a name given twice
        if (!routes.empty()) routes.push_back(routes[next(routes.size())]);
        break;
      default:
        result.clusters[0].endpoints[0].port = static_cast<uint32_t>(1 + next(3));
    }
    v1::Snapshot whole = TranslateSnapshot(result);
    SharedSnapshot shared = translator.Translate(result);
    REQUIRE(shared.version() == whole.version());
    REQUIRE(shared.ToMessage().SerializeAsString() == whole.SerializeAsString());
  }
}

TEST_CASE("an endpoint-only translation keeps the route parts", "[translate]") {
  SnapshotTranslator translator;
  CompileResult result = Sample();
  SharedSnapshot first = translator.Translate(result);
  result.clusters[0].endpoints.push_back({"10.0.0.3", 8080, false});
  SharedSnapshot second = translator.TranslateEndpoints(result, first);
  CHECK(second.route_parts() == first.route_parts());
  CHECK(second.version() == TranslateSnapshot(result).version());
  CHECK(second.clusters(0).endpoints_size() == 3);
  // The cache still knows the routes: a later full translation shares them.
  SharedSnapshot third = translator.Translate(result);
  CHECK(third.route_parts() == first.route_parts());
}

}  // namespace
}  // namespace portico::controlplane
