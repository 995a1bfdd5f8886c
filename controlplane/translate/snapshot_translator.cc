#include "controlplane/translate/snapshot_translator.h"

#include "common/snapshot/snapshot_digest.h"

namespace portico::controlplane {
namespace {

void TranslateRoute(const Route& route, v1::Route* out) {
  out->set_name(route.name);
  out->set_host(route.host);
  out->mutable_path()->set_kind(route.kind == PathKind::kExact ? v1::PathMatch::EXACT
                                                               : v1::PathMatch::PREFIX);
  out->mutable_path()->set_path(route.path);
  out->set_cluster(route.cluster);
  out->set_source(route.source);
  if (route.tls) out->mutable_tls()->set_options(route.tls_options);
  if (route.match.tree != nullptr) {
    *out->mutable_match() = *route.match.tree;
    out->clear_path();
  }
  for (const std::string& host : route.hosts) out->add_hosts(host);
  out->set_priority(route.priority);
  for (const std::string& entrypoint : route.entrypoints) out->add_entrypoints(entrypoint);
}

void TranslateCluster(const Cluster& cluster, v1::Cluster* out) {
  out->set_name(cluster.name);
  for (const Endpoint& endpoint : cluster.endpoints) {
    v1::Endpoint* e = out->add_endpoints();
    e->set_address(endpoint.address);
    e->set_port(endpoint.port);
    e->set_terminating(endpoint.terminating);
  }
}

// The model's enums follow the proto's order (compile_result.h).
void TranslateTlsOption(const TlsOption& option, v1::TlsOption* out) {
  out->set_name(option.name);
  out->set_min_version(static_cast<v1::TlsVersion>(option.min_version));
  out->set_max_version(static_cast<v1::TlsVersion>(option.max_version));
  for (const std::string& suite : option.cipher_suites) out->add_cipher_suites(suite);
  for (const std::string& curve : option.curve_preferences) out->add_curve_preferences(curve);
  for (const std::string& protocol : option.alpn_protocols) out->add_alpn_protocols(protocol);
  out->set_sni_strict(option.sni_strict);
  if (option.client_auth != ClientAuthType::kNone || !option.client_ca_secrets.empty()) {
    v1::ClientAuth* auth = out->mutable_client_auth();
    auth->set_type(static_cast<v1::ClientAuthType>(option.client_auth));
    auth->set_ca_bundle_pem(option.client_ca_pem);
    for (const std::string& secret : option.client_ca_secrets) auth->add_ca_secrets(secret);
  }
  out->set_disable_session_tickets(option.disable_session_tickets);
}

}  // namespace

v1::Snapshot TranslateSnapshot(const CompileResult& result) {
  v1::Snapshot snapshot;
  for (const Route& route : result.routes) TranslateRoute(route, snapshot.add_routes());
  for (const Cluster& cluster : result.clusters) TranslateCluster(cluster, snapshot.add_clusters());
  for (const Certificate& certificate : result.certificates) {
    v1::Certificate* c = snapshot.add_certificates();
    c->set_name(certificate.name);
    c->set_cert_chain_pem(certificate.cert_chain_pem);
    c->set_private_key_pem(certificate.private_key_pem);
  }
  for (const TlsOption& option : result.tls_options) {
    TranslateTlsOption(option, snapshot.add_tls_options());
  }
  snapshot.set_default_certificate(result.default_certificate);
  snapshot.set_version(SnapshotDigest(snapshot));
  return snapshot;
}

}  // namespace portico::controlplane
