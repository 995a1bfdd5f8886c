// TCP routing scenarios against a real worker: loopback backends that speak
// first and echo, hand-built snapshots, raw and TLS clients.
#include <catch2/catch.hpp>

#include <thread>

#include "dataplane/l4/in_flight_connections.h"
#include "dataplane/l4/l4_metrics.h"
#include "dataplane/l4/proxy_protocol.h"
#include "tests/dataplane/l4/l4_support.h"
#include "tests/dataplane/support/proxy_under_test.h"
#include "tests/dataplane/tls/test_certificates.h"

namespace portico {
namespace {

using dataplane::EntrypointSpec;
using dataplane::L4Metrics;
using dataplane::ProxyLimits;
using testing::AddCluster;
using testing::AddTcpRoute;
using testing::EchoServer;
using testing::Eventually;
using testing::ProxyUnderTest;
using testing::RawClient;
using TlsClient = dataplane::testing::TestClient;

// One route "default/<name>/r0" to cluster "default/<name>:<port>" of
// `backend`; with `sni`, a passthrough route for that name.
v1::Snapshot OneRoute(const EchoServer& backend, const std::string& name, const std::string& port,
                      const std::string& sni = "") {
  v1::Snapshot s;
  s.set_version("tcp-1");
  std::string cluster = "default/" + name + ":" + port;
  AddCluster(&s, cluster, {&backend});
  AddTcpRoute(&s, "default/" + name + "/r0", cluster, sni);
  return s;
}

v1::Snapshot PlainSnapshot(const EchoServer& db) { return OneRoute(db, "db", "5432"); }

// Drives a TLS handshake over `client`'s socket; false on failure.
bool Handshake(TlsClient& tls, RawClient& client) {
  std::string from_server;
  for (int round = 0; round < 50; ++round) {
    std::string out = tls.Step(from_server);
    if (!out.empty()) client.Send(out);
    if (tls.failed()) return false;
    if (tls.done()) return true;
    from_server = client.ReadSome();
  }
  return false;
}

// Reads plaintext through `tls` until `want` is among it.
bool TlsReadUntil(TlsClient& tls, RawClient& client, const std::string& want, std::string* seen) {
  for (int round = 0; round < 25 && seen->find(want) == std::string::npos; ++round) {
    seen->append(tls.Read(client.ReadSome()));
  }
  return seen->find(want) != std::string::npos;
}

TEST_CASE("a plain TCP route connects at once: the server speaks first", "[l4]") {
  EchoServer db("127.0.0.1", "db");
  ProxyUnderTest proxy(PlainSnapshot(db));
  RawClient client(proxy.port());
  REQUIRE(client.ReadUntil("db\n"));  // nothing sent
  client.Send("select 1");
  CHECK(client.ReadUntil("select 1"));
}

TEST_CASE("half-close is passed on and the answer still arrives", "[l4]") {
  EchoServer db("127.0.0.1", "db");
  ProxyUnderTest proxy(PlainSnapshot(db));
  dataplane::L4RouteCounters* counters = L4Metrics::Process().Route("tcp", "default/db/r0");
  uint64_t before = counters->bytes_from_client.load();
  RawClient client(proxy.port());
  REQUIRE(client.ReadUntil("db\n"));
  client.Send("ping");
  REQUIRE(client.ReadUntil("ping"));
  client.ShutdownWrite();
  std::string got;
  REQUIRE(client.ReadToEof(&got));
  CHECK(got == "db\nping[eof]");
  CHECK(counters->bytes_from_client.load() - before == 4);
  CHECK(Eventually([&] { return proxy.worker().tcp_connections() == 0; }) == true);
}

TEST_CASE("passthrough routes by SNI to two backends, peeked bytes first", "[l4]") {
  EchoServer a("127.0.0.2", "A");
  EchoServer b("127.0.0.3", "B");
  v1::Snapshot s = OneRoute(a, "a", "443", "a.test");
  AddCluster(&s, "default/b:443", {&b});
  AddTcpRoute(&s, "default/b/r0", "default/b:443", "b.test");
  ProxyUnderTest proxy(s);
  for (const auto& [sni, name] : {std::pair{"a.test", "A\n"}, std::pair{"b.test", "B\n"}}) {
    TlsClient tls({.server_name = sni});
    std::string hello = tls.Step("");
    RawClient client(proxy.port());
    client.Send(hello);
    // The backend got the ClientHello unchanged (and echoed it).
    REQUIRE(client.ReadUntil(std::string(name) + hello));
  }
  CHECK(a.accepted() == 1);
  CHECK(b.accepted() == 1);
}

TEST_CASE("a terminating route decrypts and splices plaintext", "[l4]") {
  EchoServer app("127.0.0.1", "secure-backend");
  v1::Snapshot s = OneRoute(app, "app", "80", "secure.test");
  s.mutable_tcp_routes(0)->mutable_tls()->set_passthrough(false);
  auto pem = dataplane::testing::MakeCertificatePem({.dns_names = {"secure.test"}});
  auto* cert = s.add_certificates();
  cert->set_name("default/secure");
  cert->set_cert_chain_pem(pem.chain);
  cert->set_private_key_pem(pem.key);
  ProxyUnderTest proxy(s);
  RawClient client(proxy.port());
  TlsClient tls({.server_name = "secure.test"});
  REQUIRE(Handshake(tls, client));
  CHECK(tls.PeerCommonName() == "test");
  std::string seen;
  REQUIRE(TlsReadUntil(tls, client, "secure-backend\n", &seen));
  client.Send(tls.Write("hello over tls"));
  CHECK(TlsReadUntil(tls, client, "hello over tls", &seen));
}

TEST_CASE("HTTP is still served on the entrypoint when no TCP route matches", "[l4]") {
  testing::FakeBackend web("127.0.0.1", testing::Answer("http-ok"));
  EchoServer a("127.0.0.2", "A");
  v1::Snapshot s = testing::AppSnapshot({{"127.0.0.1", web.port()}});
  AddCluster(&s, "default/a:443", {&a});
  AddTcpRoute(&s, "default/a/r0", "default/a:443", "a.test");
  ProxyUnderTest proxy(s);
  RawClient client(proxy.port());
  client.Send(testing::Get("app.test"));
  REQUIRE(client.ReadUntil("http-ok"));
  CHECK(client.received().starts_with("HTTP/1.1 200"));
  // And TLS for another name goes to the HTTPS side (the default
  // certificate), where app.test has no TLS route: 404 from the HTTP code.
  RawClient secure(proxy.port());
  TlsClient tls({.server_name = "other.test"});
  REQUIRE(Handshake(tls, secure));
  secure.Send(tls.Write(testing::Get("app.test")));
  std::string seen;
  CHECK(TlsReadUntil(tls, secure, "HTTP/1.1 404", &seen));
  CHECK(a.accepted() == 0);
}

TEST_CASE("ipAllowList closes clients outside its ranges", "[l4]") {
  EchoServer db("127.0.0.1", "db");
  v1::Snapshot s = PlainSnapshot(db);
  auto* m = s.add_tcp_middlewares();
  m->set_name("default/office");
  m->mutable_ip_allow_list()->add_ranges("10.0.0.0/8");
  s.mutable_tcp_routes(0)->add_middlewares("default/office");
  ProxyUnderTest proxy(s);
  dataplane::L4RouteCounters* counters = L4Metrics::Process().Route("tcp", "default/db/r0");
  uint64_t refused = counters->refused.load();
  RawClient client(proxy.port());
  std::string got = "?";
  REQUIRE(client.ReadToEof(&got));
  CHECK(got.empty());
  CHECK(db.accepted() == 0);
  CHECK(counters->refused.load() == refused + 1);
}

TEST_CASE("inFlightConn limits simultaneous connections per client IP", "[l4]") {
  EchoServer db("127.0.0.1", "db");
  v1::Snapshot s = PlainSnapshot(db);
  auto* m = s.add_tcp_middlewares();
  m->set_name("default/one");
  m->set_in_flight_conn(1);
  s.mutable_tcp_routes(0)->add_middlewares("default/one");
  ProxyUnderTest proxy(s);
  auto first = std::make_unique<RawClient>(proxy.port());
  REQUIRE(first->ReadUntil("db\n"));
  RawClient second(proxy.port());
  std::string got = "?";
  REQUIRE(second.ReadToEof(&got));
  CHECK(got.empty());
  first.reset();  // its slot is given back once the proxy sees it close
  CHECK(Eventually([] {
    return dataplane::InFlightConnections::Process().Count("default/one", "127.0.0.1") == 0;
  }));
  RawClient third(proxy.port());
  CHECK(third.ReadUntil("db\n"));
}

TEST_CASE("a config swap keeps an established TCP connection", "[l4]") {
  EchoServer a("127.0.0.2", "A");
  EchoServer b("127.0.0.3", "B");
  ProxyUnderTest proxy(PlainSnapshot(a));
  RawClient old(proxy.port());
  REQUIRE(old.ReadUntil("A\n"));
  v1::Snapshot next = OneRoute(b, "b", "5432");
  next.set_version("tcp-2");
  proxy.Apply(next);
  REQUIRE(Eventually([&] {
    RawClient probe(proxy.port());
    return probe.ReadUntil("B\n");
  }));
  old.Send("still here");
  CHECK(old.ReadUntil("still here"));
  CHECK(a.finished() == 0);
}

TEST_CASE("slow and garbage clients are closed while the route is chosen", "[l4]") {
  EchoServer a("127.0.0.2", "A");
  v1::Snapshot s = OneRoute(a, "a", "443", "a.test");
  ProxyLimits limits;
  limits.tcp_peek_timeout_ms = 300;
  ProxyUnderTest proxy(s, limits);
  RawClient slow(proxy.port());
  slow.Send(std::string("\x16\x03\x01", 3));  // a TLS record that never completes
  std::string got = "?";
  REQUIRE(slow.ReadToEof(&got));
  CHECK(got.empty());
  RawClient garbage(proxy.port());
  garbage.Send(std::string("\x16\x03\x01\x00\x05hello", 10));
  REQUIRE(garbage.ReadToEof(&got));
  CHECK(got.empty());
  CHECK(a.accepted() == 0);
  CHECK(Eventually([&] { return proxy.worker().tcp_connections() == 0; }));
}

TEST_CASE("a refused dial moves on to the cluster's next endpoint", "[l4]") {
  EchoServer db("127.0.0.1", "db");
  int closed_port = 0;
  {
    EchoServer gone("127.0.0.2", "gone");
    closed_port = gone.port();
  }
  v1::Snapshot s = PlainSnapshot(db);
  auto* dead = s.mutable_clusters(0)->add_endpoints();
  dead->set_address("127.0.0.2");
  dead->set_port(static_cast<uint32_t>(closed_port));
  ProxyUnderTest proxy(s);
  for (int i = 0; i < 3; ++i) {
    RawClient client(proxy.port());
    CHECK(client.ReadUntil("db\n"));
  }
}

}  // namespace
}  // namespace portico

namespace portico {
namespace {

TEST_CASE("a transport with proxyProtocol sends the header to the backend first", "[l4]") {
  EchoServer db("127.0.0.1", "db");
  v1::Snapshot s = PlainSnapshot(db);
  auto* transport = s.add_tcp_servers_transports();
  transport->set_name("default/pp");
  transport->set_proxy_protocol_version(1);
  s.mutable_tcp_routes(0)->mutable_backends(0)->set_servers_transport("default/pp");
  ProxyUnderTest proxy(s);
  RawClient client(proxy.port());
  // The echo server speaks first, then echoes what it got: the header.
  CHECK(client.ReadUntil("db\nPROXY TCP4 127.0.0.1 127.0.0.1 "));
  CHECK(client.ReadUntil(" " + std::to_string(proxy.port()) + "\r\n"));
}

TEST_CASE("PROXY protocol v2 header layout", "[l4]") {
  sockaddr_storage src{}, dst{};
  REQUIRE(dataplane::ParseEndpointAddress("10.0.0.1", 1234, &src));
  REQUIRE(dataplane::ParseEndpointAddress("10.0.0.2", 443, &dst));
  std::string h = dataplane::ProxyProtocolHeader(2, src, dst);
  REQUIRE(h.size() == 16 + 12);
  CHECK(h.substr(0, 12) == std::string("\r\n\r\n\0\r\nQUIT\n", 12));
  CHECK(h.substr(12, 4) == std::string("\x21\x11\x00\x0c", 4));
  CHECK(h.substr(16) == std::string("\x0a\x00\x00\x01\x0a\x00\x00\x02\x04\xd2\x01\xbb", 12));
  CHECK(dataplane::ProxyProtocolHeader(1, src, dst) == "PROXY TCP4 10.0.0.1 10.0.0.2 1234 443\r\n");
}

}  // namespace
}  // namespace portico

namespace portico {
namespace {

// More than the socket buffers and the write high-water mark hold: both
// directions pause and resume (backpressure) and every byte arrives in order.
TEST_CASE("a large transfer both ways arrives whole through backpressure", "[l4]") {
  EchoServer db("127.0.0.1", "db");
  ProxyLimits limits;
  limits.write_high_water = 64 * 1024;
  ProxyUnderTest proxy(PlainSnapshot(db), limits);
  RawClient client(proxy.port());
  std::string payload;
  for (size_t i = 0; payload.size() < 4 * 1024 * 1024; ++i) {
    payload += std::to_string(i) + ",";
  }
  std::string expected = "db\n" + payload;
  std::thread reader([&] { client.ReadUntil(expected); });
  for (size_t at = 0; at < payload.size(); at += 64 * 1024)
    client.Send(payload.substr(at, 64 * 1024));
  reader.join();
  CHECK(client.received().size() == expected.size());
  CHECK(client.received() == expected);
}

}  // namespace
}  // namespace portico

namespace portico {
namespace {

TEST_CASE("a backend whose cluster has no ready endpoint is skipped, not refused", "[l4]") {
  EchoServer db("127.0.0.1", "db");
  v1::Snapshot s = PlainSnapshot(db);
  s.add_clusters()->set_name("default/empty:5432");
  auto* empty = s.mutable_tcp_routes(0)->add_backends();
  empty->set_cluster("default/empty:5432");
  empty->set_weight(1);
  ProxyUnderTest proxy(s);
  for (int i = 0; i < 4; ++i) {
    RawClient client(proxy.port());
    CHECK(client.ReadUntil("db\n"));
  }
  CHECK(db.accepted() == 4);
}

// A worker on a loopback entrypoint, started by the test itself (not
// ProxyUnderTest: these tests stop it, or hold its configs, themselves).
struct BareWorker {
  BareWorker() {
    std::vector<dataplane::EntrypointListener> listeners;
    listeners.push_back(
        testing::LoopbackListener({"web", "127.0.0.1", 0}, &counters, &connections, &port));
    worker = std::make_unique<dataplane::Worker>(0, ProxyLimits{}, std::move(listeners));
  }
  dataplane::RequestCounters counters;
  dataplane::ConnectionGauge connections;
  int port = 0;
  std::unique_ptr<dataplane::Worker> worker;
};

// While the worker drains, the last connection it holds is one still being
// peeked at; it turns out to be HTTP and must be served, not cut off by a
// worker that saw no connection left during the handover.
TEST_CASE("a connection handed to HTTP while the worker drains is still served", "[l4]") {
  testing::FakeBackend web("127.0.0.1", testing::Answer("http-ok"));
  EchoServer a("127.0.0.2", "A");
  v1::Snapshot s = testing::AppSnapshot({{"127.0.0.1", web.port()}});
  AddCluster(&s, "default/a:443", {&a});
  AddTcpRoute(&s, "default/a/r0", "default/a:443", "a.test");
  BareWorker bare;
  dataplane::Worker& worker = *bare.worker;
  int port = bare.port;
  std::string error;
  worker.PostConfig(dataplane::RuntimeConfig::Build(s, &error));
  REQUIRE(error.empty());
  worker.Start();
  {
    RawClient client(port);
    REQUIRE(Eventually([&] { return worker.tcp_connections() == 1; }));
    worker.Stop(5000);
    client.Send(testing::Get("app.test"));
    CHECK(client.ReadUntil("http-ok"));
    CHECK(client.received().starts_with("HTTP/1.1 200"));
  }
  worker.Join();
}

}  // namespace
}  // namespace portico

namespace portico {
namespace {

// A spliced connection keeps its TCP routing, not the whole config it was
// routed with: after a swap the old config is freed while it still runs.
TEST_CASE("a long-lived TCP connection does not keep the old config alive", "[l4]") {
  EchoServer db("127.0.0.1", "db");
  BareWorker bare;
  dataplane::Worker& worker = *bare.worker;
  int port = bare.port;
  std::string error;
  std::shared_ptr<const dataplane::RuntimeConfig> first =
      dataplane::RuntimeConfig::Build(PlainSnapshot(db), &error);
  REQUIRE(first != nullptr);
  std::weak_ptr<const dataplane::RuntimeConfig> old = first;
  worker.PostConfig(std::move(first));
  worker.Start();
  {
    RawClient client(port);
    REQUIRE(client.ReadUntil("db\n"));
    v1::Snapshot next = PlainSnapshot(db);
    next.set_version("tcp-2");
    worker.PostConfig(dataplane::RuntimeConfig::Build(next, &error));
    CHECK(Eventually([&] { return old.expired(); }));
    client.Send("still here");
    CHECK(client.ReadUntil("still here"));
  }
  worker.Stop(1000);
  worker.Join();
}

}  // namespace
}  // namespace portico

namespace portico {
namespace {

// The ClientHello trickled in one-byte TLS records (legal, and the cheapest
// way to make a proxy re-parse): still routed, and passed on unchanged.
TEST_CASE("a ClientHello in one-byte records is routed by its server name", "[l4]") {
  EchoServer a("127.0.0.2", "A");
  ProxyUnderTest proxy(OneRoute(a, "a", "443", "a.test"));
  TlsClient tls({.server_name = "a.test"});
  std::string hello = tls.Step("");
  REQUIRE(hello.size() > 5);
  std::string split;
  for (size_t i = 5; i < hello.size(); ++i) {
    split += std::string("\x16\x03\x01\x00\x01", 5);
    split += hello[i];
  }
  RawClient client(proxy.port());
  client.Send(split);
  CHECK(client.ReadUntil("A\n" + split));
}

}  // namespace
}  // namespace portico
