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

v1::Route MakeRoute(const std::string& name, const std::string& cluster = "b/y:80") {
  v1::Route r;
  r.set_name(name);
  r.mutable_path()->set_path("/");
  r.set_cluster(cluster);
  return r;
}

v1::Snapshot WithRoutes(int n) {
  v1::Snapshot s = Base();
  s.clear_routes();
  for (int i = 0; i < n; ++i) *s.add_routes() = MakeRoute("r" + std::to_string(i));
  return Stamp(s);
}

std::vector<std::string> InsertedNames(const v1::SnapshotDelta& delta) {
  std::vector<std::string> out;
  for (const v1::IndexedRoute& r : delta.inserted_routes()) {
    out.push_back(std::to_string(r.index()) + ":" + r.route().name());
  }
  return out;
}

TEST_CASE("route changes travel as removals and insertions at target indexes", "[delta]") {
  v1::Snapshot base = WithRoutes(10);
  v1::Snapshot target = base;
  SECTION("a new route costs that route") {
    v1::Route added = MakeRoute("new");
    target.mutable_routes()->Add(std::move(added));
    // Move it to index 4.
    for (int i = target.routes_size() - 1; i > 4; --i) target.mutable_routes()->SwapElements(i, i - 1);
    target = Stamp(target);
    v1::SnapshotDelta delta = RoundTrip(base, target);
    CHECK_FALSE(OnlyClustersChanged(delta));
    CHECK(delta.replaced_fields_size() == 0);
    CHECK(delta.routes_edited());
    CHECK(delta.removed_routes_size() == 0);
    CHECK(InsertedNames(delta) == std::vector<std::string>{"4:new"});
  }
  SECTION("a changed route is removed and inserted in place, a gone one removed") {
    target.mutable_routes(2)->set_cluster("c/z:80");
    target.mutable_routes()->DeleteSubrange(7, 1);
    target = Stamp(target);
    v1::SnapshotDelta delta = RoundTrip(base, target);
    CHECK(std::vector<std::string>(delta.removed_routes().begin(), delta.removed_routes().end()) ==
          std::vector<std::string>{"r2", "r7"});
    CHECK(InsertedNames(delta) == std::vector<std::string>{"2:r2"});
  }
  SECTION("a route moved ahead of others, and routes at both ends") {
    target.mutable_routes()->SwapElements(1, 8);  // r8 before r2..r7, r1 after them
    *target.add_routes() = MakeRoute("last");
    target.mutable_routes()->Add(MakeRoute("first"));
    for (int i = target.routes_size() - 1; i > 0; --i) target.mutable_routes()->SwapElements(i, i - 1);
    target = Stamp(target);
    v1::SnapshotDelta delta = RoundTrip(base, target);
    CHECK(delta.routes_edited());
  }
  SECTION("most routes changed, or all gone: the list travels whole") {
    for (v1::Route& r : *target.mutable_routes()) r.set_cluster("c/z:80");
    target = Stamp(target);
    v1::SnapshotDelta delta = RoundTrip(base, target);
    CHECK_FALSE(delta.routes_edited());
    REQUIRE(delta.replaced_fields_size() == 1);
    CHECK(delta.replaced_fields(0) == v1::Snapshot::kRoutesFieldNumber);
    CHECK(delta.replaced().routes_size() == 10);

    v1::Snapshot no_routes = WithRoutes(0);
    delta = RoundTrip(base, no_routes);
    CHECK_FALSE(delta.routes_edited());
    CHECK(delta.replaced_fields_size() == 1);
  }
}

TEST_CASE("route edits round-trip for random changes of a route list", "[delta]") {
  // Deterministic pseudo-random edits: removals, insertions, changes, moves.
  uint64_t seed = 12345;
  auto next = [&seed](uint64_t n) {
    seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
    return (seed >> 33) % n;
  };
  v1::Snapshot base = WithRoutes(40);
  int edited = 0;
  for (int round = 0; round < 200; ++round) {
    v1::Snapshot target = base;
    int changes = 1 + static_cast<int>(next(6));
    for (int c = 0; c < changes; ++c) {
      int size = target.routes_size();
      switch (next(4)) {
        case 0:
          if (size > 0) target.mutable_routes()->DeleteSubrange(static_cast<int>(next(size)), 1);
          break;
        case 1: {
          *target.add_routes() = MakeRoute("n" + std::to_string(round) + "-" + std::to_string(c));
          for (int i = target.routes_size() - 1, at = static_cast<int>(next(size + 1)); i > at; --i)
            target.mutable_routes()->SwapElements(i, i - 1);
          break;
        }
        case 2:
          if (size > 0) target.mutable_routes(static_cast<int>(next(size)))->set_priority(round);
          break;
        default:
          if (size > 1)
            target.mutable_routes()->SwapElements(static_cast<int>(next(size)),
                                                  static_cast<int>(next(size)));
      }
    }
    target = Stamp(target);
    v1::SnapshotDelta delta = RoundTrip(base, target);
    edited += delta.routes_edited() ? 1 : 0;
    base = target;
  }
  CHECK(edited > 150);  // the edit form is the usual one
}

TEST_CASE("route edits that do not fit the base are refused", "[delta]") {
  v1::Snapshot base = WithRoutes(3);
  v1::Snapshot out;
  v1::SnapshotDelta removes_absent;
  removes_absent.set_routes_edited(true);
  removes_absent.add_removed_routes("nope");
  CHECK(ApplySnapshotDelta(base, removes_absent, base.version(), &out) ==
        "the delta removes route nope, absent from the base");
  v1::SnapshotDelta past_end;
  past_end.set_routes_edited(true);
  v1::IndexedRoute* far = past_end.add_inserted_routes();
  far->set_index(9);
  *far->mutable_route() = MakeRoute("x");
  CHECK(ApplySnapshotDelta(base, past_end, base.version(), &out) ==
        "the delta inserts route x at index 9, past the end");
  v1::SnapshotDelta backwards = past_end;
  backwards.mutable_inserted_routes(0)->set_index(1);
  *backwards.add_inserted_routes() = backwards.inserted_routes(0);
  backwards.mutable_inserted_routes(1)->set_index(0);
  CHECK(ApplySnapshotDelta(base, backwards, base.version(), &out) ==
        "the delta inserts route x at index 0, out of order");
  v1::SnapshotDelta both;
  both.set_routes_edited(true);
  both.add_replaced_fields(v1::Snapshot::kRoutesFieldNumber);
  CHECK(ApplySnapshotDelta(base, both, base.version(), &out) ==
        "the delta both replaces and edits the routes");
  v1::SnapshotDelta twice;
  twice.set_routes_edited(true);
  twice.add_removed_routes("r1");
  twice.add_removed_routes("r1");
  CHECK(ApplySnapshotDelta(base, twice, base.version(), &out) ==
        "the delta removes route r1 twice");
  CHECK(out.version().empty());
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
