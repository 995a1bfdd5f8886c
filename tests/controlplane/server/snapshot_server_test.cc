// Protocol tests: a fake proxy, speaking the wire protocol by hand, against
// the real SnapshotServer over its in-process channel.
#include "controlplane/server/snapshot_server.h"

#include <grpcpp/grpcpp.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <functional>
#include <thread>

#include "common/snapshot/snapshot_delta.h"
#include "common/snapshot/snapshot_digest.h"
#include "common/snapshot/snapshot_transfer.h"

namespace portico::controlplane {
namespace {

using Clock = std::chrono::steady_clock;
using Stream = grpc::ClientReaderWriter<v1::ProxyMessage, v1::ControllerMessage>;

// A snapshot with `routes` routes to one cluster of `endpoints` endpoints,
// named after `tag`, with its real digest as version.
SnapshotPtr MakeSnapshot(const std::string& tag, int routes = 1, int endpoints = 1) {
  auto s = std::make_shared<v1::Snapshot>();
  v1::Cluster* cluster = s->add_clusters();
  cluster->set_name("default/app:80");
  for (int i = 0; i < endpoints; ++i) {
    v1::Endpoint* e = cluster->add_endpoints();
    e->set_address("127.0.0." + std::to_string(i % 250 + 1));
    e->set_port(static_cast<uint32_t>(8000 + i / 250));
  }
  for (int i = 0; i < routes; ++i) {
    v1::Route* r = s->add_routes();
    r->set_name("default/" + tag + "/r" + std::to_string(i));
    r->set_host(tag + std::to_string(i) + ".example.com");
    r->mutable_path()->set_path("/");
    r->set_cluster("default/app:80");
  }
  return std::make_shared<const SharedSnapshot>(SharedSnapshot::FromMessage(std::move(*s)));
}

// The same snapshot with one endpoint more: an endpoint-only change.
SnapshotPtr WithExtraEndpoint(const SharedSnapshot& base) {
  v1::Snapshot s = base.ToMessage();
  s.clear_version();
  v1::Endpoint* e = s.mutable_clusters(0)->add_endpoints();
  e->set_address("127.0.1.1");
  e->set_port(9999);
  return std::make_shared<const SharedSnapshot>(SharedSnapshot::FromMessage(std::move(s)));
}

bool Eventually(const std::function<bool()>& condition) {
  auto deadline = Clock::now() + std::chrono::seconds(5);
  while (Clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return condition();
}

// One transfer as the fake proxy saw it.
struct Received {
  v1::SnapshotBegin begin;
  size_t chunks = 0;
  v1::Snapshot snapshot;  // the result (FULL, or DELTA applied to `serving`)
  std::string error;      // reassembly or delta error
};

// A proxy speaking the protocol by hand, with a deadline on every stream.
struct FakeProxy {
  explicit FakeProxy(SnapshotServer* server)
      : stub(v1::SnapshotService::NewStub(server->InProcessChannel())) {
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    stream = stub->Stream(&context);
  }
  bool Hello(const std::string& node, const std::string& current) {
    v1::ProxyMessage m;
    m.mutable_hello()->set_node(node);
    m.mutable_hello()->set_current_version(current);
    m.mutable_hello()->set_protocol(v1::PROTOCOL_CHUNKED);
    (*m.mutable_hello()->mutable_labels())["zone"] = "a";
    return stream->Write(m);
  }
  // Reads one whole transfer; begin.version() is "<stream ended>" at the end.
  Received Receive() {
    Received r;
    TransferAssembler assembler;
    v1::ControllerMessage message;
    while (stream->Read(&message)) {
      if (message.has_chunk()) ++r.chunks;
      TransferAssembler::Step step = assembler.Feed(message);
      if (step == TransferAssembler::Step::kInProgress) continue;
      r.begin = assembler.begin();
      if (step == TransferAssembler::Step::kError) {
        r.error = assembler.error();
      } else if (step == TransferAssembler::Step::kCommitted) {
        std::string payload = assembler.TakePayload();
        if (r.begin.mode() == v1::SnapshotBegin::FULL) {
          if (!r.snapshot.ParseFromString(payload)) r.error = "unparsable snapshot";
        } else {
          v1::SnapshotDelta delta;
          if (!delta.ParseFromString(payload)) r.error = "unparsable delta";
          else r.error = ApplySnapshotDelta(serving, delta, r.begin.version(), &r.snapshot);
        }
      }
      return r;
    }
    r.begin.set_version("<stream ended>");
    return r;
  }
  bool Answer(const Received& r, bool accepted,
              v1::SnapshotAck::Code code = v1::SnapshotAck::OK) {
    if (accepted) serving = r.snapshot;
    v1::ProxyMessage m;
    m.mutable_ack()->set_version(r.begin.version());
    m.mutable_ack()->set_nonce(r.begin.nonce());
    m.mutable_ack()->set_accepted(accepted);
    m.mutable_ack()->set_code(code);
    m.mutable_ack()->set_error(accepted ? "" : "route x: refused in a test");
    if (!accepted) {
      m.mutable_ack()->add_resource_keys("route/x");
      m.mutable_ack()->add_resource_keys(std::string("bad\x01key", 7));
    }
    return stream->Write(m);
  }
  // Applies and acks one transfer; returns it.
  Received ReceiveAndAck() {
    Received r = Receive();
    if (r.error.empty() && r.begin.mode() != v1::SnapshotBegin::UP_TO_DATE) Answer(r, true);
    return r;
  }
  // True when nothing arrives within `wait`; cancels the stream.
  bool Quiet(std::chrono::milliseconds wait) {
    auto* ctx = &context;
    std::thread canceller([ctx, wait] {
      std::this_thread::sleep_for(wait);
      ctx->TryCancel();
    });
    v1::ControllerMessage message;
    bool got = stream->Read(&message);
    canceller.join();
    return !got;
  }

  std::unique_ptr<v1::SnapshotService::Stub> stub;
  grpc::ClientContext context;
  std::unique_ptr<Stream> stream;
  v1::Snapshot serving;
};

struct StartedServer {
  explicit StartedServer(SnapshotServerOptions options = {}) {
    options.host = "127.0.0.1";
    options.port = 0;
    options.replica = "replica-under-test";
    REQUIRE(server.Start(options, &port).empty());
  }
  SnapshotServer server;
  int port = 0;
};

ProxyStatus OnlyProxy(const SnapshotServer& server) {
  auto proxies = server.Proxies();
  REQUIRE(proxies.size() == 1);
  return proxies[0];
}

TEST_CASE("first connect: a FULL transfer of the current snapshot", "[protocol]") {
  StartedServer s;
  SnapshotPtr v1 = MakeSnapshot("a");
  s.server.Publish(v1);
  FakeProxy proxy(&s.server);
  REQUIRE(proxy.Hello("proxy-a", ""));
  Received r = proxy.ReceiveAndAck();
  REQUIRE(r.error.empty());
  CHECK(r.begin.mode() == v1::SnapshotBegin::FULL);
  CHECK(r.begin.version() == v1->version());
  CHECK(r.begin.controller() == "replica-under-test");
  CHECK(r.snapshot.routes(0).name() == "default/a/r0");
  REQUIRE(Eventually([&] { return OnlyProxy(s.server).acked_version == v1->version(); }));
  ProxyStatus status = OnlyProxy(s.server);
  CHECK(status.node == "proxy-a");
  CHECK(status.labels.at("zone") == "a");
  CHECK(status.pending_version.empty());
  CHECK(status.lag_seconds == 0);
  CHECK(status.transfers == 1);
}

TEST_CASE("a proxy with the current version is told so and gets nothing resent",
          "[protocol]") {
  SnapshotPtr v1 = MakeSnapshot("a");
  // Same content on another replica: the digest is the same, so the proxy
  // that moves from one replica to the other gets nothing.
  StartedServer other;
  other.server.Publish(MakeSnapshot("a"));
  FakeProxy proxy(&other.server);
  REQUIRE(proxy.Hello("proxy-a", v1->version()));
  Received r = proxy.Receive();
  CHECK(r.begin.mode() == v1::SnapshotBegin::UP_TO_DATE);
  CHECK(r.begin.version() == v1->version());
  CHECK(r.chunks == 0);
  CHECK(OnlyProxy(other.server).transfers == 0);
  CHECK(proxy.Quiet(std::chrono::milliseconds(200)));  // ends the stream
}

TEST_CASE("a reconnect from a version the server still holds gets a delta", "[protocol]") {
  StartedServer s;
  SnapshotPtr v1 = MakeSnapshot("a", 50, 10);
  SnapshotPtr v2 = WithExtraEndpoint(*v1);
  s.server.Publish(v1);
  s.server.Publish(v2);
  FakeProxy proxy(&s.server);
  proxy.serving = v1->ToMessage();
  REQUIRE(proxy.Hello("proxy-a", v1->version()));
  Received r = proxy.ReceiveAndAck();
  REQUIRE(r.error.empty());
  CHECK(r.begin.mode() == v1::SnapshotBegin::DELTA);
  CHECK(r.begin.base_version() == v1->version());
  CHECK(r.snapshot.version() == v2->version());
  // An endpoint change costs the cluster, not the 50 routes.
  CHECK(r.begin.total_bytes() < 400);
}

TEST_CASE("after an ack, changes travel as deltas from the acked version", "[protocol]") {
  StartedServer s;
  SnapshotPtr v1 = MakeSnapshot("a", 200, 3);
  s.server.Publish(v1);
  FakeProxy proxy(&s.server);
  REQUIRE(proxy.Hello("proxy-a", ""));
  Received full = proxy.ReceiveAndAck();
  REQUIRE(full.begin.mode() == v1::SnapshotBegin::FULL);
  SnapshotPtr v2 = WithExtraEndpoint(*v1);
  s.server.Publish(v2);
  Received delta = proxy.ReceiveAndAck();
  REQUIRE(delta.error.empty());
  CHECK(delta.begin.mode() == v1::SnapshotBegin::DELTA);
  CHECK(delta.begin.base_version() == v1->version());
  CHECK(delta.begin.total_bytes() * 20 < full.begin.total_bytes());
  // A route change replaces the route list, and the result is exact.
  SnapshotPtr v3 = MakeSnapshot("b", 200, 3);
  s.server.Publish(v3);
  Received routes = proxy.ReceiveAndAck();
  REQUIRE(routes.error.empty());
  CHECK(routes.begin.mode() == v1::SnapshotBegin::DELTA);
  CHECK(routes.snapshot.routes(0).name() == "default/b/r0");
  CHECK(SnapshotDigest(routes.snapshot) == v3->version());
}

TEST_CASE("BASE_MISMATCH on a delta is followed by a FULL of the same version", "[protocol]") {
  StartedServer s;
  SnapshotPtr v1 = MakeSnapshot("a");
  s.server.Publish(v1);
  s.server.Publish(WithExtraEndpoint(*v1));
  FakeProxy proxy(&s.server);
  REQUIRE(proxy.Hello("proxy-a", v1->version()));
  Received delta = proxy.Receive();  // proxy.serving is empty: the delta does not fit
  REQUIRE(delta.begin.mode() == v1::SnapshotBegin::DELTA);
  CHECK_FALSE(delta.error.empty());
  REQUIRE(proxy.Answer(delta, false, v1::SnapshotAck::BASE_MISMATCH));
  Received full = proxy.ReceiveAndAck();
  CHECK(full.begin.mode() == v1::SnapshotBegin::FULL);
  CHECK(full.begin.version() == delta.begin.version());
  CHECK(full.error.empty());
}

TEST_CASE("a NACKed version is never re-sent, the stream waits for a newer one",
          "[protocol]") {
  StartedServer s;
  SnapshotPtr v1 = MakeSnapshot("a");
  s.server.Publish(v1);
  FakeProxy proxy(&s.server);
  REQUIRE(proxy.Hello("proxy-a", ""));
  Received r = proxy.Receive();
  REQUIRE(proxy.Answer(r, false, v1::SnapshotAck::VALIDATION));
  REQUIRE(Eventually([&] { return s.server.nacks_total() == 1; }));
  ProxyStatus status = OnlyProxy(s.server);
  CHECK(status.nacked_version == v1->version());
  CHECK(status.nack_code == "VALIDATION");
  CHECK(status.nack_error == "route x: refused in a test");
  CHECK(status.nack_resource_keys == std::vector<std::string>{"route/x", "bad?key"});
  CHECK(status.acked_version.empty());
  CHECK(status.lag_seconds >= 0);

  SnapshotPtr v2 = MakeSnapshot("b");
  s.server.Publish(v2);
  Received next = proxy.ReceiveAndAck();
  CHECK(next.begin.version() == v2->version());
  CHECK(next.begin.mode() == v1::SnapshotBegin::FULL);  // nothing was ever acked
}

TEST_CASE("snapshots published while a push is unanswered: only the newest follows",
          "[protocol]") {
  StartedServer s;
  s.server.Publish(MakeSnapshot("a"));
  FakeProxy proxy(&s.server);
  REQUIRE(proxy.Hello("proxy-a", ""));
  Received first = proxy.Receive();
  s.server.Publish(MakeSnapshot("b"));
  SnapshotPtr newest = MakeSnapshot("c");
  s.server.Publish(newest);
  REQUIRE(Eventually([&] { return OnlyProxy(s.server).pending_version == first.begin.version(); }));
  REQUIRE(proxy.Answer(first, true));
  Received next = proxy.ReceiveAndAck();
  CHECK(next.begin.version() == newest->version());
  CHECK(next.begin.mode() == v1::SnapshotBegin::DELTA);
  CHECK(next.begin.base_version() == first.begin.version());
}

TEST_CASE("a snapshot over 8 MiB travels in chunks of 64 KiB", "[protocol]") {
  StartedServer s;
  SnapshotPtr big = MakeSnapshot("a-rather-long-host-label-to-make-routes-bigger", 100'000, 1);
  s.server.Publish(big);
  FakeProxy proxy(&s.server);
  REQUIRE(proxy.Hello("proxy-a", ""));
  Received r = proxy.ReceiveAndAck();
  REQUIRE(r.error.empty());
  CHECK(r.begin.total_bytes() > 8u << 20);
  CHECK(r.chunks == r.begin.chunk_count());
  CHECK(r.chunks >= 9);
  CHECK(r.snapshot.routes_size() == 100'000);
  CHECK(SnapshotDigest(r.snapshot) == big->version());
}

TEST_CASE("an unanswered push ends the stream after the ack timeout", "[protocol]") {
  StartedServer s({.ack_timeout = std::chrono::milliseconds(150)});
  s.server.Publish(MakeSnapshot("a"));
  FakeProxy proxy(&s.server);
  REQUIRE(proxy.Hello("proxy-a", ""));
  Received r = proxy.Receive();
  REQUIRE(r.error.empty());
  auto start = Clock::now();
  Received end = proxy.Receive();  // never answered
  CHECK(end.begin.version() == "<stream ended>");
  CHECK(Clock::now() - start < std::chrono::seconds(3));
  grpc::Status status = proxy.stream->Finish();
  CHECK(status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED);
  CHECK(s.server.ack_timeouts_total() == 1);
}

TEST_CASE("streams end at their age limit, but not while a push is pending", "[protocol]") {
  StartedServer s({.ack_timeout = std::chrono::seconds(30),
                   .max_stream_age = std::chrono::milliseconds(100),
                   .max_stream_age_jitter = std::chrono::milliseconds(50)});
  s.server.Publish(MakeSnapshot("a"));
  FakeProxy proxy(&s.server);
  REQUIRE(proxy.Hello("proxy-a", ""));
  Received r = proxy.Receive();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // past the age, push pending
  CHECK(s.server.Proxies().size() == 1);
  REQUIRE(proxy.Answer(r, true));
  CHECK(proxy.Receive().begin.version() == "<stream ended>");
  CHECK(proxy.stream->Finish().error_code() == grpc::StatusCode::UNAVAILABLE);
}

TEST_CASE("fan-out builds each transfer once for all streams", "[protocol]") {
  StartedServer s;
  SnapshotPtr v1 = MakeSnapshot("a", 100, 5);
  s.server.Publish(v1);
  std::vector<std::unique_ptr<FakeProxy>> proxies;
  for (int i = 0; i < 20; ++i) {
    proxies.push_back(std::make_unique<FakeProxy>(&s.server));
    REQUIRE(proxies.back()->Hello("proxy-" + std::to_string(i), ""));
  }
  for (auto& p : proxies) REQUIRE(p->ReceiveAndAck().error.empty());
  REQUIRE(Eventually([&] {
    for (const ProxyStatus& p : s.server.Proxies()) {
      if (p.acked_version != v1->version()) return false;
    }
    return true;
  }));
  s.server.Publish(WithExtraEndpoint(*v1));
  for (auto& p : proxies) REQUIRE(p->ReceiveAndAck().begin.mode() == v1::SnapshotBegin::DELTA);
  CHECK(s.server.transfers_built_total() == 2);  // one FULL, one DELTA
}

TEST_CASE("protocol violations end the stream with a precise status", "[protocol]") {
  StartedServer s;
  SECTION("no hello first") {
    FakeProxy proxy(&s.server);
    v1::ProxyMessage ack;
    ack.mutable_ack()->set_version("v1");
    REQUIRE(proxy.stream->Write(ack));
    CHECK(proxy.Receive().begin.version() == "<stream ended>");
    grpc::Status status = proxy.stream->Finish();
    CHECK(status.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
    CHECK(status.error_message() == "the first message must be a hello");
  }
  SECTION("an answer with the wrong nonce") {
    s.server.Publish(MakeSnapshot("a"));
    FakeProxy proxy(&s.server);
    REQUIRE(proxy.Hello("proxy-a", ""));
    Received r = proxy.Receive();
    r.begin.set_nonce(r.begin.nonce() + 1000);
    REQUIRE(proxy.Answer(r, true));
    CHECK(proxy.Receive().begin.version() == "<stream ended>");
    CHECK(proxy.stream->Finish().error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  }
}

TEST_CASE("shutdown ends open streams promptly", "[protocol]") {
  StartedServer s;
  s.server.Publish(MakeSnapshot("a"));
  FakeProxy proxy(&s.server);
  REQUIRE(proxy.Hello("proxy-a", ""));
  REQUIRE(proxy.ReceiveAndAck().error.empty());
  auto start = Clock::now();
  s.server.Shutdown();
  CHECK(Clock::now() - start < std::chrono::seconds(2));
  CHECK(proxy.Receive().begin.version() == "<stream ended>");
  CHECK(s.server.Proxies().empty());
}

}  // namespace
}  // namespace portico::controlplane
