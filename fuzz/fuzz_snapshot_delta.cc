// A delta from the controller is untrusted by the proxy: any bytes must be
// refused with a reason or give a snapshot, never crash, and a refusal
// leaves the result untouched. The base is a small snapshot of routes and
// clusters, so that removals, insertions at indexes and cluster merges all
// meet real parts.
#include <cstddef>
#include <cstdint>
#include <string>

#include "common/snapshot/snapshot_delta.h"

namespace {

const portico::SharedSnapshot& Base() {
  static const portico::SharedSnapshot base = [] {
    portico::v1::Snapshot s;
    for (const char* name : {"a/x:80", "b/y:80", "c/z:80"}) {
      portico::v1::Cluster* c = s.add_clusters();
      c->set_name(name);
      portico::v1::Endpoint* e = c->add_endpoints();
      e->set_address("127.0.0.2");
      e->set_port(8080);
    }
    for (int i = 0; i < 5; ++i) {
      portico::v1::Route* r = s.add_routes();
      r->set_name("r" + std::to_string(i));
      r->set_host("h" + std::to_string(i) + ".test");
      r->mutable_path()->set_path("/");
      r->set_cluster("b/y:80");
    }
    s.add_tls_options()->set_name("ns/default");
    return portico::SharedSnapshot::FromMessage(std::move(s));
  }();
  return base;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  portico::v1::SnapshotDelta delta;
  if (!delta.ParseFromArray(data, static_cast<int>(size))) return 0;
  const portico::SharedSnapshot& base = Base();
  portico::SharedSnapshot out = base;
  // The announced version cannot be guessed by the fuzzer: the apply runs
  // to its digest check and must then refuse.
  std::string error = portico::ApplySnapshotDelta(base, delta, "not-the-digest", &out);
  if (error.empty() || out.digest() != base.digest()) __builtin_trap();
  // The same delta announced with the base's own version: accepted only if
  // it changes nothing.
  error = portico::ApplySnapshotDelta(base, delta, base.version(), &out);
  if (error.empty() && out.digest() != base.digest()) __builtin_trap();
  return 0;
}
