#include "common/snapshot/snapshot_delta.h"

#include <catch2/catch.hpp>

#include "common/snapshot/snapshot_digest.h"

namespace portico {
namespace {

v1::Cluster MakeCluster(const std::string& name, int endpoints) {
  v1::Cluster c;
  c.set_name(name);
  for (int i = 0; i < endpoints; ++i) {
    v1::Endpoint* e = c.add_endpoints();
    e->set_address("127.0.0." + std::to_string(i + 1));
    e->set_port(8080);
  }
  return c;
}

v1::Snapshot Stamp(v1::Snapshot s) {
  s.set_version(SnapshotDigest(s));
  return s;
}

v1::Snapshot Base() {
  v1::Snapshot s;
  for (const char* name : {"a/x:80", "b/y:80", "c/z:80"}) *s.add_clusters() = MakeCluster(name, 2);
  for (int i = 0; i < 3; ++i) {
    v1::Route* r = s.add_routes();
    r->set_name("route-" + std::to_string(i));
    r->mutable_path()->set_path("/");
    r->set_cluster("b/y:80");
  }
  return Stamp(s);
}

// Builds the delta, applies it to the base and checks the exact result.
v1::SnapshotDelta RoundTrip(const v1::Snapshot& base, const v1::Snapshot& target) {
  v1::SnapshotDelta delta = BuildSnapshotDelta(base, target);
  v1::Snapshot out;
  REQUIRE(ApplySnapshotDelta(base, delta, target.version(), &out) == "");
  CHECK(out.SerializeAsString() == target.SerializeAsString());
  return delta;
}

TEST_CASE("an endpoint change travels as one cluster", "[delta]") {
  v1::Snapshot base = Base();
  v1::Snapshot target = base;
  *target.mutable_clusters(1) = MakeCluster("b/y:80", 3);
  target = Stamp(target);
  v1::SnapshotDelta delta = RoundTrip(base, target);
  CHECK(OnlyClustersChanged(delta));
  REQUIRE(delta.upserted_clusters_size() == 1);
  CHECK(delta.upserted_clusters(0).name() == "b/y:80");
  CHECK(delta.removed_clusters_size() == 0);
}

TEST_CASE("clusters added and removed keep the result sorted", "[delta]") {
  v1::Snapshot base = Base();
  v1::Snapshot target;
  target.mutable_routes()->CopyFrom(base.routes());
  *target.add_clusters() = MakeCluster("0/first:80", 1);
  *target.add_clusters() = base.clusters(1);
  *target.add_clusters() = MakeCluster("d/last:80", 1);
  target = Stamp(target);
  v1::SnapshotDelta delta = RoundTrip(base, target);
  CHECK(delta.upserted_clusters_size() == 2);
  CHECK(delta.removed_clusters_size() == 2);
}

TEST_CASE("a route change replaces the route list whole, including to empty", "[delta]") {
  v1::Snapshot base = Base();
  v1::Snapshot target = base;
  target.mutable_routes(2)->set_cluster("c/z:80");
  target = Stamp(target);
  v1::SnapshotDelta delta = RoundTrip(base, target);
  CHECK_FALSE(OnlyClustersChanged(delta));
  CHECK(delta.replaced().routes_size() == 3);
  CHECK(delta.upserted_clusters_size() == 0);

  v1::Snapshot no_routes = base;
  no_routes.clear_routes();
  no_routes = Stamp(no_routes);
  delta = RoundTrip(base, no_routes);
  REQUIRE(delta.replaced_fields_size() == 1);
  CHECK(delta.replaced_fields(0) == v1::Snapshot::kRoutesFieldNumber);
}

TEST_CASE("a delta applied to another base is refused", "[delta]") {
  v1::Snapshot base = Base();
  v1::Snapshot target = base;
  *target.mutable_clusters(0) = MakeCluster("a/x:80", 5);
  target = Stamp(target);
  v1::SnapshotDelta delta = BuildSnapshotDelta(base, target);

  v1::Snapshot other = base;
  other.mutable_routes(0)->set_name("renamed");
  other = Stamp(other);
  v1::Snapshot out;
  std::string error = ApplySnapshotDelta(other, delta, target.version(), &out);
  CHECK(error.find("not the announced") != std::string::npos);
  CHECK(out.version().empty());  // untouched on failure

  v1::SnapshotDelta removes_absent;
  removes_absent.add_removed_clusters("nope/none:1");
  CHECK(ApplySnapshotDelta(base, removes_absent, target.version(), &out) ==
        "the delta removes cluster nope/none:1, absent from the base");

  v1::SnapshotDelta twice;
  *twice.add_upserted_clusters() = MakeCluster("a/x:80", 1);
  *twice.add_upserted_clusters() = MakeCluster("a/x:80", 2);
  CHECK(ApplySnapshotDelta(base, twice, target.version(), &out) ==
        "the delta upserts cluster a/x:80 twice");

  v1::SnapshotDelta unknown_field;
  unknown_field.add_replaced_fields(999);
  CHECK(ApplySnapshotDelta(base, unknown_field, target.version(), &out) ==
        "the delta replaces field 999, which this proxy does not know");

  v1::SnapshotDelta clusters_whole;
  clusters_whole.add_replaced_fields(v1::Snapshot::kClustersFieldNumber);
  CHECK(ApplySnapshotDelta(base, clusters_whole, target.version(), &out) ==
        "the delta replaces field clusters whole");
}

TEST_CASE("equal snapshots give an empty delta", "[delta]") {
  v1::Snapshot base = Base();
  v1::SnapshotDelta delta = RoundTrip(base, base);
  CHECK(delta.replaced_fields_size() == 0);
  CHECK(delta.upserted_clusters_size() == 0);
  CHECK(delta.removed_clusters_size() == 0);
}

}  // namespace
}  // namespace portico

namespace portico {
namespace {

TEST_CASE("the digest ignores the version field, whatever its length", "[digest]") {
  v1::Snapshot s = Base();
  std::string digest = SnapshotDigest(s);
  for (size_t length : {1u, 127u, 128u, 300u, 20000u}) {
    v1::Snapshot copy = s;
    copy.set_version(std::string(length, 'v'));
    CHECK(SnapshotDigest(copy) == digest);
  }
  v1::Snapshot unversioned = s;
  unversioned.clear_version();
  CHECK(SnapshotDigest(unversioned) == digest);
}

}  // namespace
}  // namespace portico
