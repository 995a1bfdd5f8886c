#include "controlplane/admin/controller_admin.h"

#include <grpcpp/grpcpp.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "tests/controlplane/support/manifests.h"

namespace portico::controlplane {
namespace {

constexpr char kManifests[] = R"(
apiVersion: v1
kind: Service
metadata: {name: web}
spec: {ports: [{port: 80}]}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web}
spec:
  defaultBackend: {service: {name: web, port: {number: 80}}}
---
apiVersion: v1
kind: Service
metadata: {name: Bad}
)";

TEST_CASE("admin endpoints before and after the first snapshot", "[admin]") {
  SnapshotPipeline pipeline([](auto) {});
  ControllerAdmin admin(&pipeline, nullptr);
  CHECK(admin.Handle("GET", "/ping").body == "pong\n");
  CHECK(admin.Handle("GET", "/ready").status == 503);
  CHECK(admin.Handle("GET", "/snapshot").status == 503);
  CHECK(admin.Handle("GET", "/nope").status == 404);
  CHECK(admin.Handle("POST", "/ready").status == 405);

  pipeline.Apply({.objects = testing::ObjectsFromYaml(kManifests)});
  CHECK(admin.Handle("GET", "/ready").status == 200);
  CHECK(admin.Handle("HEAD", "/ready").status == 200);

  AdminResponse snapshot = admin.Handle("GET", "/snapshot");
  CHECK(snapshot.status == 200);
  CHECK(snapshot.content_type == "application/json");
  CHECK_THAT(snapshot.body, Catch::Contains("\"name\": \"default/web/default\""));
  CHECK_THAT(snapshot.body, Catch::Contains("\"cluster\": \"default/web:80\""));
  CHECK_THAT(snapshot.body, Catch::Contains("\"version\": \"" + pipeline.current()->version()));
}

TEST_CASE("metrics are Prometheus text with the documented names", "[admin]") {
  SnapshotPipeline pipeline([](auto) {});
  ControllerAdmin admin(&pipeline, nullptr);
  pipeline.Apply({.objects = testing::ObjectsFromYaml(kManifests)});
  pipeline.Apply({.objects = testing::ObjectsFromYaml(kManifests)});
  std::string body = admin.Handle("GET", "/metrics").body;
  for (std::string line : {
           "portico_controller_snapshot_info{version=\"" + pipeline.current()->version() + "\"} 1",
           std::string("portico_controller_routes 1"),
           std::string("portico_controller_clusters 1"),
           std::string("portico_controller_compiles_total 2"),
           std::string("portico_controller_endpoint_only_compiles_total 0"),
           // Objects without fingerprints: decoded every time, never kept.
           std::string("portico_controller_objects_decoded_total 6"),
           std::string("portico_controller_objects_reused_total 0"),
           // ...yet every key is one the previous load held: edited in place.
           std::string("portico_controller_in_place_decodes_total 1"),
           std::string("portico_controller_ingress_patches_total 0"),
           std::string("portico_controller_source_errors 1"),
           std::string("portico_controller_source_errors_total 2"),
           std::string("portico_controller_compile_diagnostics 0"),
           std::string("portico_controller_connected_proxies 0"),
           std::string("portico_controller_nacks_total 0"),
           std::string("# TYPE portico_controller_compiles_total counter"),
       }) {
    CHECK_THAT(body, Catch::Contains(line + "\n"));
  }
}

TEST_CASE("the CRD status writer's counters show in metrics", "[admin]") {
  SnapshotPipeline pipeline([](auto) {});
  ControllerAdmin admin(&pipeline, nullptr);
  // No writer (file source): the counters are there, at 0.
  CHECK_THAT(admin.Handle("GET", "/metrics").body,
             Catch::Contains("portico_controller_crd_status_writes_total 0\n"));
  admin.SetStatusCounters([] { return StatusWriterCounters{.writes = 7, .failures = 2}; });
  std::string body = admin.Handle("GET", "/metrics").body;
  CHECK_THAT(body, Catch::Contains("# TYPE portico_controller_crd_status_writes_total counter\n"
                                   "portico_controller_crd_status_writes_total 7\n"));
  CHECK_THAT(body, Catch::Contains("portico_controller_crd_status_write_failures_total 2\n"));
}

TEST_CASE("the Kubernetes source's counters show in metrics, per collection", "[admin]") {
  SnapshotPipeline pipeline([](auto) {});
  ControllerAdmin admin(&pipeline, nullptr);
  // No Kubernetes source (file source): none of its metrics.
  CHECK_THAT(admin.Handle("GET", "/metrics").body, !Catch::Contains("portico_controller_leader"));
  admin.SetKubeCounters([] {
    return KubeCounters{.leader = true,
                        .lease_transitions = 2,
                        .ingress_status_writes = 5,
                        .ingress_status_write_failures = 1,
                        .reflectors = {{.group = "networking.k8s.io",
                                        .kind = "Ingress",
                                        .relists = 1,
                                        .watch_restarts = 4,
                                        .events = 9,
                                        .last_sync_unix_ms = 1'764'900'000'250},
                                       {.kind = "Service", .namespace_ = "portico-system"}}};
  });
  std::string body = admin.Handle("GET", "/metrics").body;
  for (const char* expected : {
           "# TYPE portico_controller_leader gauge\nportico_controller_leader 1\n",
           "# TYPE portico_controller_lease_transitions_total counter\n"
           "portico_controller_lease_transitions_total 2\n",
           "portico_controller_ingress_status_writes_total 5\n",
           "portico_controller_ingress_status_write_failures_total 1\n",
           "# TYPE portico_controller_reflector_relists_total counter\n"
           "portico_controller_reflector_relists_total"
           "{group=\"networking.k8s.io\",kind=\"Ingress\",namespace=\"\"} 1\n"
           "portico_controller_reflector_relists_total"
           "{group=\"\",kind=\"Service\",namespace=\"portico-system\"} 0\n",
           "portico_controller_reflector_watch_restarts_total"
           "{group=\"networking.k8s.io\",kind=\"Ingress\",namespace=\"\"} 4\n",
           "portico_controller_reflector_events_total"
           "{group=\"networking.k8s.io\",kind=\"Ingress\",namespace=\"\"} 9\n",
           "# TYPE portico_controller_reflector_last_sync_timestamp_seconds gauge\n"
           "portico_controller_reflector_last_sync_timestamp_seconds"
           "{group=\"networking.k8s.io\",kind=\"Ingress\",namespace=\"\"} 1764900000.250\n"
           "portico_controller_reflector_last_sync_timestamp_seconds"
           "{group=\"\",kind=\"Service\",namespace=\"portico-system\"} 0.000\n",
       }) {
    CHECK_THAT(body, Catch::Contains(expected));
  }
}

TEST_CASE("connected proxies and their acks show in metrics", "[admin]") {
  SnapshotPipeline pipeline([](auto) {});
  SnapshotServer server;
  int port = 0;
  REQUIRE(server.Start({.host = "127.0.0.1", .port = 0}, &port).empty());
  auto stub = v1::SnapshotService::NewStub(server.InProcessChannel());
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  auto stream = stub->Stream(&context);
  v1::ProxyMessage hello;
  hello.mutable_hello()->set_node("edge-\"1\"");
  hello.mutable_hello()->set_current_version("abc");
  REQUIRE(stream->Write(hello));
  ControllerAdmin admin(&pipeline, &server);
  // The hello is handled on a gRPC thread: poll with a deadline, not a
  // count of tries (under ThreadSanitizer 1000 tries took less than the hello).
  std::string body;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (body.find("proxy_acked{") == std::string::npos &&
         std::chrono::steady_clock::now() < deadline) {
    body = admin.Handle("GET", "/metrics").body;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  CHECK_THAT(body, Catch::Contains("portico_controller_connected_proxies 1\n"));
  CHECK_THAT(body,
             Catch::Contains(
                 "portico_controller_proxy_acked{node=\"edge-\\\"1\\\"\",version=\"abc\"} 1\n"));
  CHECK_THAT(body, Catch::Contains("portico_controller_proxy_push_pending{node=\"edge-\\\"1\\\"\"} 0\n"));
  CHECK_THAT(body, Catch::Contains("portico_controller_ack_timeouts_total 0\n"));

  AdminResponse proxies = admin.Handle("GET", "/proxies");
  CHECK(proxies.content_type == "application/json");
  CHECK_THAT(proxies.body, Catch::Contains("\"node\":\"edge-\\\"1\\\"\""));
  CHECK_THAT(proxies.body, Catch::Contains("\"acked_version\":\"abc\""));
  CHECK_THAT(proxies.body, Catch::Contains("\"pending_version\":\"\""));
  context.TryCancel();
}

TEST_CASE("private keys never leave through /snapshot", "[admin]") {
  v1::Snapshot snapshot;
  v1::Certificate* certificate = snapshot.add_certificates();
  certificate->set_name("default/site-tls");
  certificate->set_private_key_pem("-----BEGIN PRIVATE KEY-----\nsecret\n");
  v1::Snapshot redacted = RedactSecrets(snapshot);
  CHECK(redacted.certificates(0).private_key_pem() == "<redacted>");
  CHECK(redacted.certificates(0).name() == "default/site-tls");
  CHECK(snapshot.certificates(0).private_key_pem() != "<redacted>");  // a copy

  // The client keys of ServersTransports (mutual TLS to backends) too.
  v1::Certificate* client = snapshot.add_servers_transports()->add_certificates();
  client->set_name("default/backend-client");
  client->set_private_key_pem("-----BEGIN PRIVATE KEY-----\nclient secret\n");
  redacted = RedactSecrets(snapshot);
  CHECK(redacted.servers_transports(0).certificates(0).private_key_pem() == "<redacted>");
  CHECK(redacted.servers_transports(0).certificates(0).name() == "default/backend-client");

  // And those of ServersTransportTCPs' TLS blocks (TLS to TCP backends).
  v1::Certificate* tcp_client =
      snapshot.add_tcp_servers_transports()->mutable_tls()->add_certificates();
  tcp_client->set_name("default/db-client");
  tcp_client->set_cert_chain_pem("-----BEGIN CERTIFICATE-----\npublic\n");
  tcp_client->set_private_key_pem("-----BEGIN PRIVATE KEY-----\ntcp client secret\n");
  snapshot.add_tcp_servers_transports()->set_name("default/no-tls");
  redacted = RedactSecrets(snapshot);
  const v1::Certificate& tcp_redacted = redacted.tcp_servers_transports(0).tls().certificates(0);
  CHECK(tcp_redacted.private_key_pem() == "<redacted>");
  CHECK(tcp_redacted.name() == "default/db-client");
  CHECK(tcp_redacted.cert_chain_pem() == "-----BEGIN CERTIFICATE-----\npublic\n");
  CHECK(redacted.SerializeAsString().find("tcp client secret") == std::string::npos);
  // A transport without TLS stays without it.
  CHECK_FALSE(redacted.tcp_servers_transports(1).has_tls());
}

}  // namespace
}  // namespace portico::controlplane
