#include "common/snapshot/shared_snapshot.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <openssl/evp.h>

#include <cstring>
#include <string_view>

namespace portico {
namespace {

// Tells the digest's inputs apart (a change of this scheme changes every
// version, which only costs proxies one full transfer).
constexpr char kDigestScheme[] = "portico.v1.Snapshot/parts-1";

std::string Hex(const unsigned char* bytes, size_t length) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(length * 2);
  for (size_t i = 0; i < length; ++i) {
    hex.push_back(kHex[bytes[i] >> 4]);
    hex.push_back(kHex[bytes[i] & 0xf]);
  }
  return hex;
}

void UpdateCount(EVP_MD_CTX* ctx, uint64_t count) {
  unsigned char le[8];
  for (int i = 0; i < 8; ++i) le[i] = static_cast<unsigned char>(count >> (8 * i));
  EVP_DigestUpdate(ctx, le, sizeof le);
}

template <typename Parts>
void UpdateParts(EVP_MD_CTX* ctx, const Parts& parts) {
  UpdateCount(ctx, parts.size());
  for (const auto& part : parts) EVP_DigestUpdate(ctx, part->hash.data(), part->hash.size());
}

std::shared_ptr<const v1::Snapshot> EmptyRest() {
  static const auto empty = std::make_shared<const v1::Snapshot>();
  return empty;
}

}  // namespace

PartHash HashMessage(const google::protobuf::Message& message) {
  // Into a buffer kept per thread: no allocation per route.
  thread_local std::string bytes;
  bytes.clear();
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    message.SerializeToCodedStream(&coded);
  }  // flushed into `bytes` here
  PartHash hash{};
  unsigned int length = 0;
  EVP_Digest(bytes.data(), bytes.size(), hash.data(), &length, EVP_sha256(), nullptr);
  return hash;
}

SharedSnapshot::SharedSnapshot() : SharedSnapshot(EmptyRest(), {}, {}) {}

SharedSnapshot::SharedSnapshot(std::shared_ptr<const v1::Snapshot> rest,
                               std::vector<RoutePartPtr> routes,
                               std::vector<ClusterPartPtr> clusters)
    : rest_(std::move(rest)), routes_(std::move(routes)), clusters_(std::move(clusters)) {
  if (!rest_->version().empty() || rest_->routes_size() > 0 || rest_->clusters_size() > 0) {
    auto trimmed = std::make_shared<v1::Snapshot>(*rest_);
    trimmed->clear_version();
    trimmed->clear_routes();
    trimmed->clear_clusters();
    rest_ = std::move(trimmed);
  }
  rest_hash_ = HashMessage(*rest_);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
  EVP_DigestUpdate(ctx, kDigestScheme, sizeof kDigestScheme);
  EVP_DigestUpdate(ctx, rest_hash_.data(), rest_hash_.size());
  UpdateParts(ctx, routes_);
  UpdateParts(ctx, clusters_);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_DigestFinal_ex(ctx, digest, &length);
  EVP_MD_CTX_free(ctx);
  digest_ = Hex(digest, length);
  version_ = digest_;
}

SharedSnapshot SharedSnapshot::FromMessage(v1::Snapshot snapshot) {
  std::vector<RoutePartPtr> routes;
  routes.reserve(static_cast<size_t>(snapshot.routes_size()));
  for (v1::Route& route : *snapshot.mutable_routes()) {
    routes.push_back(std::make_shared<const RoutePart>(std::move(route)));
  }
  std::vector<ClusterPartPtr> clusters;
  clusters.reserve(static_cast<size_t>(snapshot.clusters_size()));
  for (v1::Cluster& cluster : *snapshot.mutable_clusters()) {
    clusters.push_back(std::make_shared<const ClusterPart>(std::move(cluster)));
  }
  std::string version = snapshot.version();
  snapshot.clear_version();
  snapshot.clear_routes();
  snapshot.clear_clusters();
  SharedSnapshot shared(std::make_shared<const v1::Snapshot>(std::move(snapshot)),
                        std::move(routes), std::move(clusters));
  if (!version.empty()) shared.version_ = std::move(version);
  return shared;
}

v1::Snapshot SharedSnapshot::ToMessage() const {
  v1::Snapshot snapshot = *rest_;
  snapshot.set_version(version_);
  snapshot.mutable_routes()->Reserve(routes_size());
  for (const RoutePartPtr& route : routes_) *snapshot.add_routes() = route->message;
  snapshot.mutable_clusters()->Reserve(clusters_size());
  for (const ClusterPartPtr& cluster : clusters_) *snapshot.add_clusters() = cluster->message;
  return snapshot;
}

std::string SharedSnapshot::Serialize() const {
  std::string bytes;
  auto append_field = [&bytes](int number, std::string_view value) {
    char head[10];  // two varints of at most 5 bytes
    auto* end = google::protobuf::io::CodedOutputStream::WriteVarint32ToArray(
        static_cast<uint32_t>(number << 3 | 2), reinterpret_cast<uint8_t*>(head));
    end = google::protobuf::io::CodedOutputStream::WriteVarint32ToArray(
        static_cast<uint32_t>(value.size()), end);
    bytes.append(head, static_cast<size_t>(reinterpret_cast<char*>(end) - head));
    bytes.append(value);
  };
  append_field(v1::Snapshot::kVersionFieldNumber, version_);
  rest_->AppendToString(&bytes);
  std::string part;
  for (const RoutePartPtr& route : routes_) {
    part.clear();
    route->message.AppendToString(&part);
    append_field(v1::Snapshot::kRoutesFieldNumber, part);
  }
  for (const ClusterPartPtr& cluster : clusters_) {
    part.clear();
    cluster->message.AppendToString(&part);
    append_field(v1::Snapshot::kClustersFieldNumber, part);
  }
  return bytes;
}

}  // namespace portico
