// ServersTransport, ServersTransportTCP and WeightedService decoding.
#include <catch2/catch.hpp>

#include "controlplane/crd/servers_transport.h"
#include "controlplane/crd/weighted_service.h"
#include "tests/controlplane/crd/crd_test_support.h"

namespace portico::controlplane::crd {
namespace {

using namespace std::chrono_literals;

TEST_CASE("servers transport: every field") {
  ServersTransport st;
  REQUIRE(testing::DecodeSpecYaml("ServersTransport", R"yaml(
  serverName: api.internal
  insecureSkipVerify: false
  rootCAs: [{secret: ca}, {configMap: bundle}]
  rootCAsSecrets: [old-ca]
  certificatesSecrets: [client]
  maxIdleConnsPerHost: -1
  disableHTTP2: true
  peerCertSANs: [{type: DNSName, value: api.internal}, {type: URI, value: 'spiffe://x/y'}]
  cipherSuites: [TLS_AES_128_GCM_SHA256]
  minVersion: VersionTLS12
  spiffe: {ids: ['spiffe://x/y'], trustDomain: 'spiffe://x'}
  forwardingTimeouts: {dialTimeout: 5s, responseHeaderTimeout: 0, idleConnTimeout: 90, readIdleTimeout: 10s, pingTimeout: 15s}
)yaml",
                                  &st) == "");
  const ServersTransportSpec& s = st.spec;
  CHECK(s.tls.server_name == "api.internal");
  REQUIRE(s.tls.root_cas.size() == 2);
  CHECK(s.tls.root_cas[0].secret == "ca");
  CHECK(s.tls.root_cas[1].config_map == "bundle");
  CHECK(s.tls.root_cas_secrets == std::vector<std::string>{"old-ca"});
  CHECK(s.tls.certificates_secrets == std::vector<std::string>{"client"});
  CHECK(s.max_idle_conns_per_host == -1);
  CHECK(s.disable_http2);
  REQUIRE(s.tls.peer_cert_sans.size() == 2);
  CHECK(s.tls.peer_cert_sans[1].type == "URI");
  CHECK(s.tls.spiffe->trust_domain == "spiffe://x");
  REQUIRE(s.forwarding_timeouts);
  CHECK(s.forwarding_timeouts->dial_timeout == Duration(5s));
  CHECK(s.forwarding_timeouts->response_header_timeout == Duration(0s));
  CHECK(s.forwarding_timeouts->idle_conn_timeout == Duration(90s));
  testing::ExpectErrors<ServersTransport>(
      "ServersTransport",
      {
          {"{rootCAs: [{}]}", "spec.rootCAs[0]: must set one of secret or configMap"},
          {"{rootCAs: [{secret: a, configMap: b}]}",
           "spec.rootCAs[0]: must set only one of secret or configMap, got secret and configMap"},
          {"{rootCAs: [{secret: A}]}", "spec.rootCAs[0].secret: must be a Secret name"},
          {"{certificatesSecrets: [ok, Not_ok]}",
           "spec.certificatesSecrets[1]: must be a Secret name"},
          {"{maxIdleConnsPerHost: -2}", "spec.maxIdleConnsPerHost: must be at least -1, got -2"},
          {"{peerCertSANs: [{type: IP, value: 1.2.3.4}]}",
           "spec.peerCertSANs[0].type: must be URI or DNSName, got \"IP\""},
          {"{peerCertSANs: [{type: URI}]}", "spec.peerCertSANs[0].value: required"},
          {"{forwardingTimeouts: {dialTimeout: -1s}}",
           "spec.forwardingTimeouts.dialTimeout: must not be negative"},
          {"{minVersion: VersionTLS13, maxVersion: VersionTLS12}",
           "spec.maxVersion: must not be below minVersion"},
          {"{spiffe: {ids: 'a'}}", "spec.spiffe.ids: must be a list, got a string"},
      });
}

TEST_CASE("servers transport: peerCertURI is deprecated") {
  ServersTransport st;
  REQUIRE(testing::DecodeSpecYaml("ServersTransport", "{peerCertURI: 'spiffe://a'}", &st) == "");
  CHECK(st.spec.tls.peer_cert_uri == "spiffe://a");
  CHECK(st.crd.warnings ==
        std::vector<std::string>{"spec.peerCertURI: deprecated, use peerCertSANs"});
}

TEST_CASE("servers transport tcp: every field") {
  ServersTransportTcp st;
  REQUIRE(testing::DecodeSpecYaml(
              "ServersTransportTCP",
              "{dialTimeout: 30s, dialKeepAlive: -1, terminationDelay: 100ms, proxyProtocol: {}, "
              "tls: {serverName: db, insecureSkipVerify: true, rootCAsSecrets: [ca], "
              "certificatesSecrets: [c]}}",
              &st) == "");
  CHECK(st.spec.dial_timeout == Duration(30s));
  CHECK(st.spec.dial_keep_alive == Duration(-1s));
  CHECK(st.spec.termination_delay == Duration(100ms));
  CHECK(st.spec.proxy_protocol_version == 2);  // an empty section means version 2
  REQUIRE(st.spec.tls);
  CHECK(st.spec.tls->server_name == "db");
  CHECK(st.spec.tls->insecure_skip_verify);
  ServersTransportTcp none;
  REQUIRE(testing::DecodeSpecYaml("ServersTransportTCP", "{}", &none) == "");
  CHECK_FALSE(none.spec.proxy_protocol_version);
  testing::ExpectErrors<ServersTransportTcp>(
      "ServersTransportTCP",
      {
          {"{proxyProtocol: {version: 0}}",
           "spec.proxyProtocol.version: must be between 1 and 2, got 0"},
          {"{dialTimeout: -5s}", "spec.dialTimeout: must not be negative"},
          {"{terminationDelay: -5s}", "spec.terminationDelay: must not be negative"},
          {"{tls: {rootCAs: [{configMap: B}]}}",
           "spec.tls.rootCAs[0].configMap: must be a ConfigMap name"},
          {"{tls: {maxIdleConnsPerHost: 1}}", "spec.tls.maxIdleConnsPerHost: unknown field"},
      });
}

TEST_CASE("weighted service: each type") {
  WeightedService ws;
  REQUIRE(testing::DecodeSpecYaml(
              "WeightedService",
              "{weighted: {services: [{name: v1, port: 80, weight: 9}, {name: v2, port: 80, "
              "weight: 1}], sticky: {cookie: {name: ab}}}}",
              &ws, "traefik.io/v1alpha1") == "");
  CHECK(ws.crd.group == CrdGroup::kTraefik);
  CHECK(ws.spec.type == "weighted");
  const auto& wrr = std::get<WeightedRoundRobin>(ws.spec.config);
  REQUIRE(wrr.services.size() == 2);
  CHECK(wrr.services[0].weight == 9);
  CHECK(wrr.sticky_cookie->name == "ab");

  REQUIRE(testing::DecodeSpecYaml(
              "WeightedService",
              "{mirroring: {name: main, port: 80, mirrorBody: false, maxBodySize: 1024, "
              "mirrors: [{name: shadow, port: 8080, percent: 10}, {name: other, kind: "
              "WeightedService, percent: 100}]}}",
              &ws) == "");
  const auto& mirroring = std::get<Mirroring>(ws.spec.config);
  CHECK(mirroring.main.name == "main");
  CHECK(mirroring.mirror_body == false);
  CHECK(mirroring.max_body_size == 1024);
  REQUIRE(mirroring.mirrors.size() == 2);
  CHECK(mirroring.mirrors[0].service.name == "shadow");
  CHECK(mirroring.mirrors[0].percent == 10);
  CHECK(mirroring.mirrors[1].service.kind == ServiceKind::kWeightedService);

  REQUIRE(testing::DecodeSpecYaml("WeightedService",
                                  "{highestRandomWeight: {services: [{name: a, port: 80}]}}",
                                  &ws) == "");
  CHECK(std::get<HighestRandomWeight>(ws.spec.config).services.size() == 1);

  REQUIRE(testing::DecodeSpecYaml(
              "WeightedService",
              "{failover: {service: {name: main, port: 80}, fallback: {name: backup, port: 80}, "
              "errors: {status: ['500-503'], maxRequestBodyBytes: -1}}}",
              &ws) == "");
  const auto& failover = std::get<Failover>(ws.spec.config);
  CHECK(failover.service.name == "main");
  CHECK(failover.fallback.name == "backup");
  CHECK(failover.error_status == std::vector<StatusRange>{{500, 503}});
  CHECK(failover.max_request_body_bytes == -1);
}

TEST_CASE("weighted service: refusals") {
  testing::ExpectErrors<WeightedService>(
      "WeightedService",
      {
          {"{}", "spec: must set one of weighted, highestRandomWeight, mirroring or failover"},
          {"{weighted: {services: [{name: a, port: 1}]}, mirroring: {name: a, port: 1}}",
           "spec: must set only one of weighted, highestRandomWeight, mirroring or failover, got "
           "weighted and mirroring"},
          {"{weighted: {}}", "spec.weighted.services: required"},
          {"{weighted: {services: [{name: a, port: x_y}]}}",
           "spec.weighted.services[0].port: must be a port name"},
          {"{mirroring: {port: 80}}", "spec.mirroring.name: required"},
          {"{mirroring: {name: a, port: 80, mirrors: [{name: b, port: 80, percent: 101}]}}",
           "spec.mirroring.mirrors[0].percent: must be between 0 and 100, got 101"},
          {"{mirroring: {name: a, port: 80, maxBodySize: -2}}",
           "spec.mirroring.maxBodySize: must be at least -1, got -2"},
          {"{highestRandomWeight: {services: []}}",
           "spec.highestRandomWeight.services: must not be empty"},
          {"{failover: {service: {name: a, port: 1}}}", "spec.failover.fallback: required"},
          {"{failover: {service: {name: a, port: 1}, fallback: {name: b, port: 1}, errors: "
           "{status: [abc]}}}",
           "spec.failover.errors.status[0]: must be status codes"},
      });
}

}  // namespace
}  // namespace portico::controlplane::crd
