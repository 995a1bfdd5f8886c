#include "controlplane/server/snapshot_server.h"

#include <grpcpp/grpcpp.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <functional>
#include <thread>

namespace portico::controlplane {
namespace {

using Clock = std::chrono::steady_clock;
using Stream = grpc::ClientReaderWriter<v1::ProxyMessage, v1::ControllerMessage>;

std::shared_ptr<const v1::Snapshot> SnapshotNamed(const std::string& version) {
  auto s = std::make_shared<v1::Snapshot>();
  s->set_version(version);
  s->add_routes()->set_name("route-of-" + version);
  return s;
}

v1::ProxyMessage Hello(const std::string& node, const std::string& current) {
  v1::ProxyMessage m;
  m.mutable_hello()->set_node(node);
  m.mutable_hello()->set_current_version(current);
  return m;
}

v1::ProxyMessage Ack(const std::string& version, bool accepted, const std::string& error = "") {
  v1::ProxyMessage m;
  m.mutable_ack()->set_version(version);
  m.mutable_ack()->set_accepted(accepted);
  m.mutable_ack()->set_error(error);
  return m;
}

// Polls `condition` for up to two seconds.
bool Eventually(const std::function<bool()>& condition) {
  auto deadline = Clock::now() + std::chrono::seconds(2);
  while (Clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return condition();
}

// A connected proxy: a stream over the in-process channel with a deadline,
// so a missing message fails the test instead of hanging it.
struct Proxy {
  explicit Proxy(SnapshotServer* server)
      : stub(v1::SnapshotService::NewStub(server->InProcessChannel())) {
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    stream = stub->Stream(&context);
  }
  std::string NextVersion() {
    v1::ControllerMessage message;
    if (!stream->Read(&message)) return "<stream ended>";
    return message.snapshot().version();
  }
  std::unique_ptr<v1::SnapshotService::Stub> stub;
  grpc::ClientContext context;
  std::unique_ptr<Stream> stream;
};

struct StartedServer {
  StartedServer() { REQUIRE(server.Start({.host = "127.0.0.1", .port = 0}, &port).empty()); }
  SnapshotServer server;
  int port = 0;
};

TEST_CASE("a proxy gets the current snapshot after its hello", "[snapshot_server]") {
  StartedServer s;
  CHECK(s.port > 0);
  s.server.Publish(SnapshotNamed("v1"));
  Proxy proxy(&s.server);
  REQUIRE(proxy.stream->Write(Hello("proxy-a", "")));
  v1::ControllerMessage message;
  REQUIRE(proxy.stream->Read(&message));
  CHECK(message.snapshot().version() == "v1");
  CHECK(message.snapshot().routes(0).name() == "route-of-v1");
}

TEST_CASE("nothing is sent before the first snapshot or when the proxy is up to date",
          "[snapshot_server]") {
  StartedServer s;
  Proxy early(&s.server);
  REQUIRE(early.stream->Write(Hello("early", "")));
  REQUIRE(Eventually([&] { return s.server.Proxies().size() == 1; }));
  s.server.Publish(SnapshotNamed("v1"));
  CHECK(early.NextVersion() == "v1");

  Proxy current(&s.server);
  REQUIRE(current.stream->Write(Hello("current", "v1")));
  s.server.Publish(SnapshotNamed("v1"));  // same version: dropped
  s.server.Publish(SnapshotNamed("v2"));
  CHECK(current.NextVersion() == "v2");  // v1 was never sent
  CHECK(early.NextVersion() == "v2");
}

TEST_CASE("latest wins: a proxy gets only the newest of quick publishes", "[snapshot_server]") {
  StartedServer s;
  s.server.Publish(SnapshotNamed("v1"));
  Proxy proxy(&s.server);
  REQUIRE(Eventually([&] { return s.server.Proxies().size() == 1; }));
  s.server.Publish(SnapshotNamed("v2"));
  s.server.Publish(SnapshotNamed("v3"));
  REQUIRE(proxy.stream->Write(Hello("proxy-a", "")));
  CHECK(proxy.NextVersion() == "v3");
  s.server.Publish(SnapshotNamed("v4"));
  CHECK(proxy.NextVersion() == "v4");
}

TEST_CASE("acks and nacks are recorded per proxy", "[snapshot_server]") {
  StartedServer s;
  s.server.Publish(SnapshotNamed("v1"));
  Proxy proxy(&s.server);
  REQUIRE(proxy.stream->Write(Hello("proxy-a", "")));
  REQUIRE(proxy.NextVersion() == "v1");
  REQUIRE(proxy.stream->Write(Ack("v1", true)));
  REQUIRE(Eventually([&] {
    auto proxies = s.server.Proxies();
    return proxies.size() == 1 && proxies[0].acked_version == "v1";
  }));
  CHECK(s.server.Proxies()[0].node == "proxy-a");
  CHECK(s.server.Proxies()[0].sent_version == "v1");

  s.server.Publish(SnapshotNamed("v2"));
  REQUIRE(proxy.NextVersion() == "v2");
  REQUIRE(proxy.stream->Write(Ack("v2", false, "route table: duplicate route")));
  REQUIRE(Eventually([&] { return s.server.nacks_total() == 1; }));
  ProxyStatus status = s.server.Proxies()[0];
  CHECK(status.acked_version == "v1");
  CHECK(status.nacked_version == "v2");
  CHECK(status.nack_error == "route table: duplicate route");

  REQUIRE(proxy.stream->WritesDone());
  CHECK(proxy.stream->Finish().ok());
  CHECK(Eventually([&] { return s.server.Proxies().empty(); }));
}

TEST_CASE("a stream that does not start with a hello is refused", "[snapshot_server]") {
  StartedServer s;
  Proxy proxy(&s.server);
  REQUIRE(proxy.stream->Write(Ack("v1", true)));
  v1::ControllerMessage message;
  CHECK_FALSE(proxy.stream->Read(&message));
  grpc::Status status = proxy.stream->Finish();
  CHECK(status.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(status.error_message() == "the first message must be a hello");
}

TEST_CASE("shutdown ends open streams promptly", "[snapshot_server]") {
  StartedServer s;
  s.server.Publish(SnapshotNamed("v1"));
  Proxy proxy(&s.server);
  REQUIRE(proxy.stream->Write(Hello("proxy-a", "")));
  REQUIRE(proxy.NextVersion() == "v1");
  auto start = Clock::now();
  s.server.Shutdown();
  CHECK(Clock::now() - start < std::chrono::seconds(2));
  CHECK(proxy.NextVersion() == "<stream ended>");
  CHECK(s.server.Proxies().empty());
}

}  // namespace
}  // namespace portico::controlplane
