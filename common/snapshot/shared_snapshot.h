// SharedSnapshot: a snapshot held in immutable parts. Every route and every
// cluster is its own message with the SHA-256 of its deterministic
// serialization; the other fields form one message, the rest. A version
// built from another shares the parts it did not change, so translating,
// diffing, digesting and applying a change cost what changed rather than
// the size of the snapshot (10 000 routes). On the wire it is still one
// v1::Snapshot. Immutable once built: safe to share between threads.
#pragma once

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "portico/v1/snapshot.pb.h"

namespace portico {

using PartHash = std::array<unsigned char, 32>;

// SHA-256 of a message's deterministic serialization.
PartHash HashMessage(const google::protobuf::Message& message);

template <typename Message>
struct SnapshotPart {
  explicit SnapshotPart(Message m) : message(std::move(m)), hash(HashMessage(message)) {}
  Message message;
  PartHash hash;
};

using RoutePart = SnapshotPart<v1::Route>;
using ClusterPart = SnapshotPart<v1::Cluster>;
using RoutePartPtr = std::shared_ptr<const RoutePart>;
using ClusterPartPtr = std::shared_ptr<const ClusterPart>;

class SharedSnapshot {
 public:
  SharedSnapshot();
  // `rest` must hold no version, routes or clusters (they are cleared). The
  // version is the digest of the parts.
  SharedSnapshot(std::shared_ptr<const v1::Snapshot> rest, std::vector<RoutePartPtr> routes,
                 std::vector<ClusterPartPtr> clusters);
  // Splits a whole message, hashing every route and cluster. Its version is
  // kept when set (tests and tools name snapshots freely), else the digest.
  static SharedSnapshot FromMessage(v1::Snapshot snapshot);

  // The content digest (docs/snapshot-protocol.md, "Versions"): hex SHA-256
  // over the rest's hash and the hashes of the routes and clusters in order.
  const std::string& digest() const { return digest_; }
  const std::string& version() const { return version_; }

  const v1::Snapshot& rest() const { return *rest_; }
  const std::shared_ptr<const v1::Snapshot>& shared_rest() const { return rest_; }
  const PartHash& rest_hash() const { return rest_hash_; }
  const std::vector<RoutePartPtr>& route_parts() const { return routes_; }
  const std::vector<ClusterPartPtr>& cluster_parts() const { return clusters_; }
  int routes_size() const { return static_cast<int>(routes_.size()); }
  const v1::Route& routes(int i) const { return routes_[static_cast<size_t>(i)]->message; }
  int clusters_size() const { return static_cast<int>(clusters_.size()); }
  const v1::Cluster& clusters(int i) const { return clusters_[static_cast<size_t>(i)]->message; }

  // The whole message, version included (a copy: the admin dump, tests).
  v1::Snapshot ToMessage() const;
  // ToMessage()'s wire bytes, written from the parts without that copy
  // (fields in another order than the generated code's, which parsers
  // accept: a FULL transfer).
  std::string Serialize() const;

 private:
  std::shared_ptr<const v1::Snapshot> rest_;
  PartHash rest_hash_{};
  std::vector<RoutePartPtr> routes_;
  std::vector<ClusterPartPtr> clusters_;
  std::string digest_;
  std::string version_;
};

}  // namespace portico
