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
  if (route.tls) out->mutable_tls();
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
  snapshot.set_version(SnapshotDigest(snapshot));
  return snapshot;
}

}  // namespace portico::controlplane
