// What the admin endpoints show of TCP routing: /config without the client
// keys of ServersTransportTCP, and the L4 counters in Prometheus text.
#include <catch2/catch.hpp>

#include "dataplane/admin/proxy_admin.h"
#include "dataplane/config/config_publisher.h"
#include "dataplane/l4/l4_metrics.h"
#include "tests/dataplane/tls/test_certificates.h"

namespace portico::dataplane {
namespace {

TEST_CASE("/config clears ServersTransportTCP client keys", "[l4]") {
  auto client = testing::MakeCertificatePem({.dns_names = {"client.test"}});
  v1::Snapshot s;
  s.set_version("admin-1");
  auto* transport = s.add_tcp_servers_transports();
  transport->set_name("default/mtls");
  auto* cert = transport->mutable_tls()->add_certificates();
  cert->set_name("default/client");
  cert->set_cert_chain_pem(client.chain);
  cert->set_private_key_pem(client.key);
  ConfigPublisher publisher({});
  REQUIRE(publisher.Apply(s).message == "");
  ProxyAdmin admin(&publisher, nullptr, {});
  AdminResponse response = admin.Handle("GET", "/config");
  CHECK(response.body.find("default/mtls") != std::string::npos);
  CHECK(response.body.find("cert_chain_pem") != std::string::npos);
  CHECK(response.body.find("private_key_pem") == std::string::npos);
}

TEST_CASE("L4 counters render per protocol, entrypoint and route", "[l4]") {
  L4Metrics& metrics = L4Metrics::Process();
  metrics.Route("tcp", "default/render/r0")->accepted.fetch_add(2);
  metrics.Route("tcp", "default/render/r0")->bytes_to_client.fetch_add(10);
  metrics.OpenConnections("udp", "render-dns")->fetch_add(1);
  std::string out;
  metrics.Render(&out);
  CHECK(out.find("portico_proxy_l4_accepted_total{protocol=\"tcp\",route=\"default/render/r0\"} "
                 "2\n") != std::string::npos);
  CHECK(out.find("portico_proxy_l4_sent_bytes_total{protocol=\"tcp\",route=\"default/render/r0\"} "
                 "10\n") != std::string::npos);
  CHECK(out.find("portico_proxy_l4_open_connections{protocol=\"udp\",entrypoint=\"render-dns\"} "
                 "1\n") != std::string::npos);
  CHECK(out.find("# TYPE portico_proxy_l4_refused_total counter\n") != std::string::npos);
  metrics.OpenConnections("udp", "render-dns")->fetch_sub(1);
}

}  // namespace
}  // namespace portico::dataplane
