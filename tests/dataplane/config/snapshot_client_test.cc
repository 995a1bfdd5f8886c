// Protocol tests: a scripted fake controller against the real SnapshotClient
// and ConfigPublisher (without workers).
#include "dataplane/config/snapshot_client.h"

#include <grpcpp/grpcpp.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

#include "common/snapshot/snapshot_delta.h"
#include "common/snapshot/snapshot_digest.h"
#include "common/snapshot/snapshot_transfer.h"
#include "dataplane/config/config_publisher.h"
#include "portico/v1/snapshot.grpc.pb.h"

namespace portico::dataplane {
namespace {

using Clock = std::chrono::steady_clock;
using ServerStream = grpc::ServerReaderWriter<v1::ControllerMessage, v1::ProxyMessage>;

v1::Snapshot MakeSnapshot(const std::string& host, int endpoints = 1) {
  v1::Snapshot s;
  v1::Cluster* c = s.add_clusters();
  c->set_name("default/app:80");
  for (int i = 0; i < endpoints; ++i) {
    v1::Endpoint* e = c->add_endpoints();
    e->set_address("127.0.0." + std::to_string(i + 1));
    e->set_port(8080);
  }
  v1::Route* r = s.add_routes();
  r->set_name("default/app/r0/p0");
  r->set_host(host);
  r->mutable_path()->set_path("/");
  r->set_cluster("default/app:80");
  s.set_version(SnapshotDigest(s));
  return s;
}

std::vector<v1::ControllerMessage> Full(const v1::Snapshot& s, uint64_t nonce,
                                        size_t chunk = kSnapshotChunkBytes) {
  v1::SnapshotBegin begin;
  begin.set_mode(v1::SnapshotBegin::FULL);
  begin.set_version(s.version());
  begin.set_nonce(nonce);
  return BuildTransfer(begin, s.SerializeAsString(), chunk);
}

std::vector<v1::ControllerMessage> Delta(const v1::Snapshot& base, const v1::Snapshot& target,
                                         uint64_t nonce) {
  v1::SnapshotBegin begin;
  begin.set_mode(v1::SnapshotBegin::DELTA);
  begin.set_version(target.version());
  begin.set_base_version(base.version());
  begin.set_nonce(nonce);
  return BuildTransfer(begin, BuildSnapshotDelta(base, target).SerializeAsString());
}

// One connection as the fake controller sees it: the script gets the
// hello and the stream; what it returns ends the call.
using Script = std::function<void(const v1::ProxyHello&, ServerStream*)>;

// Scripts run on gRPC's threads, and Catch's assertions are not
// thread-safe (TSan reported the races): a script records what failed and
// stops; the test's thread reports it when the FakeController goes.
std::mutex script_failures_mu;
std::vector<std::string> script_failures;

void ScriptFailed(const char* expression, int line) {
  std::lock_guard lock(script_failures_mu);
  script_failures.push_back("line " + std::to_string(line) + ": " + expression);
}

#define SCRIPT_REQUIRE(expression)                 \
  do {                                             \
    if (!(expression)) {                           \
      ScriptFailed(#expression, __LINE__);         \
      return;                                      \
    }                                              \
  } while (false)

class FakeController final : public v1::SnapshotService::Service {
 public:
  FakeController() {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    builder.RegisterService(this);
    server_ = builder.BuildAndStart();
    REQUIRE(port_ > 0);
    std::lock_guard lock(script_failures_mu);
    script_failures.clear();
  }
  ~FakeController() override {
    server_->Shutdown(std::chrono::system_clock::now());
    std::lock_guard lock(script_failures_mu);
    for (const std::string& failure : script_failures) FAIL_CHECK("a script's check failed: " << failure);
  }

  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  // Scripts run one per connection, in order; the last one repeats.
  void AddScript(Script script) {
    std::lock_guard lock(mu_);
    scripts_.push_back(std::move(script));
  }
  std::vector<v1::ProxyHello> hellos() const {
    std::lock_guard lock(mu_);
    return hellos_;
  }

  grpc::Status Stream(grpc::ServerContext*, ServerStream* stream) override {
    v1::ProxyMessage first;
    if (!stream->Read(&first) || !first.has_hello()) return grpc::Status::OK;
    Script script;
    {
      std::lock_guard lock(mu_);
      hellos_.push_back(first.hello());
      script = scripts_.size() > 1 ? scripts_.front() : scripts_.back();
      if (scripts_.size() > 1) scripts_.pop_front();
    }
    script(first.hello(), stream);
    return grpc::Status::OK;
  }

 private:
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
  mutable std::mutex mu_;
  std::deque<Script> scripts_;
  std::vector<v1::ProxyHello> hellos_;
};

bool Send(ServerStream* stream, const std::vector<v1::ControllerMessage>& messages) {
  for (const auto& m : messages) {
    if (!stream->Write(m)) return false;
  }
  return true;
}

v1::SnapshotAck ReadAck(ServerStream* stream) {
  v1::ProxyMessage m;
  if (!stream->Read(&m) || !m.has_ack()) return {};
  return m.ack();
}

// Keeps the call open until the client goes away.
void Hold(ServerStream* stream) {
  v1::ProxyMessage m;
  while (stream->Read(&m)) {
  }
}

bool Eventually(const std::function<bool()>& condition) {
  auto deadline = Clock::now() + std::chrono::seconds(5);
  while (Clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return condition();
}

struct ClientUnderTest {
  explicit ClientUnderTest(const FakeController& controller)
      : publisher({}),
        client({.controllers = {controller.address()},
                .node = "proxy-under-test",
                .build = "test",
                .labels = {{"zone", "z1"}}},
               &publisher) {
    client.Start();
  }
  ~ClientUnderTest() { client.Stop(); }
  ConfigPublisher publisher;
  SnapshotClient client;
};

TEST_CASE("FULL then DELTA: both applied and acked with their nonces", "[snapshot_client]") {
  v1::Snapshot v1 = MakeSnapshot("a.test", 2);
  v1::Snapshot v2 = MakeSnapshot("a.test", 3);
  std::vector<v1::SnapshotAck> acks;
  std::mutex mu;
  // After what its scripts capture: it goes first, joining their threads.
  FakeController controller;
  controller.AddScript([&](const v1::ProxyHello&, ServerStream* stream) {
    SCRIPT_REQUIRE(Send(stream, Full(v1, 11, 64)));  // small chunks: many of them
    v1::SnapshotAck first = ReadAck(stream);
    SCRIPT_REQUIRE(Send(stream, Delta(v1, v2, 12)));
    v1::SnapshotAck second = ReadAck(stream);
    {
      std::lock_guard lock(mu);
      acks = {first, second};
    }
    Hold(stream);
  });
  ClientUnderTest proxy(controller);
  REQUIRE(Eventually([&] { return proxy.publisher.version() == v2.version(); }));
  REQUIRE(Eventually([&] {
    std::lock_guard lock(mu);
    return acks.size() == 2;
  }));
  CHECK(acks[0].accepted());
  CHECK(acks[0].nonce() == 11);
  CHECK(acks[0].version() == v1.version());
  CHECK(acks[1].accepted());
  CHECK(acks[1].nonce() == 12);
  CHECK(proxy.client.deltas_applied() == 1);
  CHECK(proxy.publisher.snapshot()->clusters(0).endpoints_size() == 3);
  v1::ProxyHello hello = controller.hellos().at(0);
  CHECK(hello.node() == "proxy-under-test");
  CHECK(hello.protocol() == v1::PROTOCOL_CHUNKED);
  CHECK(hello.labels().at("zone") == "z1");
  CHECK(hello.current_version().empty());
}

TEST_CASE("a stream cut mid-transfer applies nothing, the reconnect says what is served",
          "[snapshot_client]") {
  v1::Snapshot v1 = MakeSnapshot("a.test");
  v1::Snapshot v2 = MakeSnapshot("b.test");
  // After what its scripts capture: it goes first, joining their threads.
  FakeController controller;
  controller.AddScript([&](const v1::ProxyHello&, ServerStream* stream) {
    SCRIPT_REQUIRE(Send(stream, Full(v1, 1)));
    ReadAck(stream);
    auto messages = Full(v2, 2, 16);
    SCRIPT_REQUIRE(messages.size() > 4);
    messages.resize(3);  // begin and two chunks, then the stream ends
    Send(stream, messages);
  });
  controller.AddScript([&](const v1::ProxyHello&, ServerStream* stream) { Hold(stream); });
  ClientUnderTest proxy(controller);
  REQUIRE(Eventually([&] { return controller.hellos().size() == 2; }));
  CHECK(proxy.publisher.version() == v1.version());
  CHECK(proxy.publisher.applies() == 1);
  CHECK(controller.hellos()[1].current_version() == v1.version());
}

TEST_CASE("a delta for another base is NACKed BASE_MISMATCH, the config stays",
          "[snapshot_client]") {
  v1::Snapshot v1 = MakeSnapshot("a.test");
  v1::Snapshot other = MakeSnapshot("other.test");
  v1::Snapshot v2 = MakeSnapshot("a.test", 4);
  v1::SnapshotAck nack;
  std::atomic<bool> done{false};
  // After what its scripts capture: it goes first, joining their threads.
  FakeController controller;
  controller.AddScript([&](const v1::ProxyHello&, ServerStream* stream) {
    SCRIPT_REQUIRE(Send(stream, Full(v1, 1)));
    ReadAck(stream);
    SCRIPT_REQUIRE(Send(stream, Delta(other, v2, 2)));
    nack = ReadAck(stream);
    done = true;
    Hold(stream);
  });
  ClientUnderTest proxy(controller);
  REQUIRE(Eventually([&] { return done.load(); }));
  CHECK_FALSE(nack.accepted());
  CHECK(nack.code() == v1::SnapshotAck::BASE_MISMATCH);
  CHECK(nack.nonce() == 2);
  CHECK(proxy.publisher.version() == v1.version());
  CHECK(proxy.client.nacks() == 1);
}

TEST_CASE("an invalid snapshot is NACKed VALIDATION, the last good config serves",
          "[snapshot_client]") {
  v1::Snapshot good = MakeSnapshot("a.test");
  v1::Snapshot bad = good;
  bad.mutable_routes(0)->set_cluster("default/missing:80");
  bad.set_version(SnapshotDigest(bad));
  v1::SnapshotAck nack;
  std::atomic<bool> done{false};
  // After what its scripts capture: it goes first, joining their threads.
  FakeController controller;
  controller.AddScript([&](const v1::ProxyHello&, ServerStream* stream) {
    SCRIPT_REQUIRE(Send(stream, Full(good, 1)));
    ReadAck(stream);
    SCRIPT_REQUIRE(Send(stream, Full(bad, 2)));
    nack = ReadAck(stream);
    done = true;
    Hold(stream);
  });
  ClientUnderTest proxy(controller);
  REQUIRE(Eventually([&] { return done.load(); }));
  CHECK(nack.code() == v1::SnapshotAck::VALIDATION);
  CHECK(nack.error().find("unknown cluster default/missing:80") != std::string::npos);
  REQUIRE(nack.resource_keys_size() == 1);
  CHECK(nack.resource_keys(0) == "route/" + bad.routes(0).name());
  CHECK(proxy.publisher.version() == good.version());
}

TEST_CASE("a malformed transfer drops the stream, the proxy reconnects and keeps serving",
          "[snapshot_client]") {
  v1::Snapshot v1 = MakeSnapshot("a.test");
  // After what its scripts capture: it goes first, joining their threads.
  FakeController controller;
  controller.AddScript([&](const v1::ProxyHello&, ServerStream* stream) {
    SCRIPT_REQUIRE(Send(stream, Full(v1, 1)));
    ReadAck(stream);
    auto messages = Full(MakeSnapshot("b.test"), 2, 16);
    std::swap(messages[1], messages[2]);  // chunks out of order
    Send(stream, messages);
    Hold(stream);
  });
  controller.AddScript([&](const v1::ProxyHello& hello, ServerStream* stream) {
    // Up to date: a lone Begin, no answer expected.
    v1::SnapshotBegin begin;
    begin.set_mode(v1::SnapshotBegin::UP_TO_DATE);
    begin.set_version(hello.current_version());
    Send(stream, BuildTransfer(begin, ""));
    Hold(stream);
  });
  ClientUnderTest proxy(controller);
  REQUIRE(Eventually([&] { return controller.hellos().size() == 2; }));
  CHECK(controller.hellos()[1].current_version() == v1.version());
  CHECK(proxy.publisher.version() == v1.version());
  CHECK(Eventually([&] { return proxy.client.connected(); }));
}

}  // namespace
}  // namespace portico::dataplane
