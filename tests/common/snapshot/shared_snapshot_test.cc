#include "common/snapshot/shared_snapshot.h"

#include <google/protobuf/util/message_differencer.h>

#include <catch2/catch.hpp>

#include "common/snapshot/snapshot_delta.h"
#include "common/snapshot/snapshot_digest.h"

namespace portico {
namespace {

v1::Snapshot Sample() {
  v1::Snapshot s;
  for (const char* name : {"a/x:80", "b/y:80"}) {
    v1::Cluster* c = s.add_clusters();
    c->set_name(name);
    v1::Endpoint* e = c->add_endpoints();
    e->set_address("127.0.0.2");
    e->set_port(8080);
  }
  for (int i = 0; i < 3; ++i) {
    v1::Route* r = s.add_routes();
    r->set_name("route-" + std::to_string(i));
    r->set_host("h" + std::to_string(i) + ".test");
    r->mutable_path()->set_path("/");
    r->set_cluster("b/y:80");
  }
  s.add_tls_options()->set_name("ns/default");
  return s;
}

bool Same(const v1::Snapshot& a, const v1::Snapshot& b) {
  return google::protobuf::util::MessageDifferencer::Equals(a, b);
}

TEST_CASE("a message split into parts joins back to itself", "[shared_snapshot]") {
  v1::Snapshot whole = Sample();
  SharedSnapshot shared = SharedSnapshot::FromMessage(whole);
  CHECK(shared.routes_size() == 3);
  CHECK(shared.clusters_size() == 2);
  CHECK(shared.rest().routes_size() == 0);  // the parts are not also in the rest
  CHECK(shared.rest().tls_options_size() == 1);
  CHECK(shared.version() == shared.digest());  // unversioned: named by its digest

  whole.set_version(shared.digest());
  CHECK(Same(shared.ToMessage(), whole));
  v1::Snapshot parsed;
  REQUIRE(parsed.ParseFromString(shared.Serialize()));
  CHECK(Same(parsed, whole));
}

TEST_CASE("a set version is kept and does not change the digest", "[shared_snapshot]") {
  v1::Snapshot named = Sample();
  named.set_version("v7");
  SharedSnapshot shared = SharedSnapshot::FromMessage(named);
  CHECK(shared.version() == "v7");
  CHECK(shared.digest() == SharedSnapshot::FromMessage(Sample()).digest());
  CHECK(shared.ToMessage().version() == "v7");
  CHECK(SnapshotDigest(named) == shared.digest());
}

TEST_CASE("equal parts hash equal and any change of a part changes the digest",
          "[shared_snapshot]") {
  SharedSnapshot a = SharedSnapshot::FromMessage(Sample());
  SharedSnapshot b = SharedSnapshot::FromMessage(Sample());
  CHECK(a.route_parts()[1]->hash == b.route_parts()[1]->hash);
  CHECK(a.route_parts()[0]->hash != a.route_parts()[1]->hash);

  v1::Snapshot endpoint = Sample();
  endpoint.mutable_clusters(0)->mutable_endpoints(0)->set_port(8081);
  v1::Snapshot rest = Sample();
  rest.mutable_tls_options(0)->set_name("ns/other");
  v1::Snapshot moved = Sample();
  moved.mutable_routes()->SwapElements(0, 2);
  for (const v1::Snapshot* other : {&endpoint, &rest, &moved}) {
    CHECK(SharedSnapshot::FromMessage(*other).digest() != a.digest());
  }
}

TEST_CASE("the constructor keeps no routes, clusters or version in the rest", "[shared_snapshot]") {
  auto rest = std::make_shared<v1::Snapshot>(Sample());
  rest->set_version("stale");
  SharedSnapshot shared(rest, {}, {});
  CHECK(shared.rest().routes_size() == 0);
  CHECK(shared.rest().clusters_size() == 0);
  CHECK(shared.rest().version().empty());
  CHECK(shared.digest() == SnapshotDigest(shared.ToMessage()));
  CHECK(shared.ToMessage().tls_options_size() == 1);
}

TEST_CASE("applying a delta shares every part it leaves", "[shared_snapshot][delta]") {
  SharedSnapshot base = SharedSnapshot::FromMessage(Sample());
  v1::Snapshot changed = Sample();
  changed.mutable_routes(1)->set_host("new.test");
  changed.mutable_clusters(1)->mutable_endpoints(0)->set_address("127.0.0.3");
  SharedSnapshot target = SharedSnapshot::FromMessage(changed);

  v1::SnapshotDelta delta = BuildSnapshotDelta(base, target);
  SharedSnapshot out;
  REQUIRE(ApplySnapshotDelta(base, delta, target.version(), &out) == "");
  CHECK(out.digest() == target.digest());
  CHECK(out.route_parts()[0] == base.route_parts()[0]);
  CHECK(out.route_parts()[1] != base.route_parts()[1]);
  CHECK(out.route_parts()[2] == base.route_parts()[2]);
  CHECK(out.cluster_parts()[0] == base.cluster_parts()[0]);
  CHECK(out.cluster_parts()[1] != base.cluster_parts()[1]);
  CHECK(out.shared_rest() == base.shared_rest());  // no other field changed
  CHECK(Same(out.ToMessage(), target.ToMessage()));

  // A wrong version refuses the result and leaves *out alone.
  SharedSnapshot untouched = out;
  CHECK_FALSE(ApplySnapshotDelta(base, delta, "not-the-digest", &out).empty());
  CHECK(out.digest() == untouched.digest());
}

TEST_CASE("a delta that replaces a top-level field gets a rest of its own",
          "[shared_snapshot][delta]") {
  SharedSnapshot base = SharedSnapshot::FromMessage(Sample());
  v1::Snapshot changed = Sample();
  changed.mutable_tls_options(0)->set_name("ns/other");
  SharedSnapshot target = SharedSnapshot::FromMessage(changed);
  SharedSnapshot out;
  REQUIRE(ApplySnapshotDelta(base, BuildSnapshotDelta(base, target), target.version(), &out) == "");
  CHECK(out.shared_rest() != base.shared_rest());
  CHECK(out.rest().tls_options(0).name() == "ns/other");
  CHECK(out.route_parts() == base.route_parts());  // every route shared
}

}  // namespace
}  // namespace portico
