#include "controlplane/translate/snapshot_translator.h"

#include <openssl/evp.h>

#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"

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

std::string DeterministicBytes(const v1::Snapshot& snapshot) {
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    snapshot.SerializeToCodedStream(&coded);
  }  // CodedOutputStream flushes into `bytes` when destroyed
  return bytes;
}

std::string HexSha256(const std::string& bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(length * 2);
  for (unsigned int i = 0; i < length; ++i) {
    hex.push_back(kHex[digest[i] >> 4]);
    hex.push_back(kHex[digest[i] & 0xf]);
  }
  return hex;
}

}  // namespace

std::string SnapshotVersion(const v1::Snapshot& snapshot) {
  if (snapshot.version().empty()) return HexSha256(DeterministicBytes(snapshot));
  v1::Snapshot copy = snapshot;
  copy.clear_version();
  return HexSha256(DeterministicBytes(copy));
}

v1::Snapshot TranslateSnapshot(const CompileResult& result) {
  v1::Snapshot snapshot;
  for (const Route& route : result.routes) TranslateRoute(route, snapshot.add_routes());
  for (const Cluster& cluster : result.clusters) TranslateCluster(cluster, snapshot.add_clusters());
  snapshot.set_version(SnapshotVersion(snapshot));
  return snapshot;
}

}  // namespace portico::controlplane
