// LeaderElector against the scripted API server: acquire, renew, lose on a
// 409, take over an expired lease, leave a live one alone, step down at the
// renew deadline, release.
#include "controlplane/kube/leader_elector.h"

#include <rapidjson/document.h>

#include <catch2/catch.hpp>

#include "tests/controlplane/kube/support/client_harness.h"

namespace portico::controlplane::testing {
namespace {

constexpr char kLease[] = "/apis/coordination.k8s.io/v1/namespaces/ns/leases/ctl";
constexpr char kLeases[] = "/apis/coordination.k8s.io/v1/namespaces/ns/leases";

std::string LeaseJson(const std::string& rv, const std::string& holder,
                      std::chrono::system_clock::time_point renew, int transitions = 0) {
  return R"({"kind":"Lease","apiVersion":"coordination.k8s.io/v1","metadata":{"name":"ctl",)"
         R"("namespace":"ns","resourceVersion":")" +
         rv + R"("},"spec":{"holderIdentity":")" + holder +
         R"(","leaseDurationSeconds":15,"renewTime":")" + FormatMicroTime(renew) +
         R"(","leaseTransitions":)" + std::to_string(transitions) + "}}";
}

struct Elected {
  ClientHarness h;
  std::unique_ptr<LeaderElector> elector;
  int started = 0, stopped = 0;

  void Start(std::chrono::milliseconds renew_deadline = std::chrono::milliseconds(10'000)) {
    elector = std::make_unique<LeaderElector>(
        &h.loop, h.client.get(),
        LeaderElectorOptions{.lease_namespace = "ns",
                             .lease_name = "ctl",
                             .identity = "me",
                             .renew_deadline = renew_deadline,
                             .retry_period = std::chrono::milliseconds(50)},
        LeaderCallbacks{.on_started_leading = [this] { started++; },
                        .on_stopped_leading = [this] { stopped++; }});
    // No before_close: `elector` is destroyed before `h` (declared after it)
    // and closes itself; a before_close would call it once destroyed (ASan).
    elector->Start();
  }
  std::vector<ReceivedRequest> Writes() const {
    std::vector<ReceivedRequest> writes;
    for (const ReceivedRequest& r : h.server.requests()) {
      if (r.method != "GET") writes.push_back(r);
    }
    return writes;
  }
};

rapidjson::Document Parse(const std::string& body) {
  rapidjson::Document doc;
  doc.Parse(body.c_str());
  REQUIRE(doc.IsObject());
  return doc;
}

TEST_CASE("MicroTime round-trips and rejects malformed text", "[kube][leader]") {
  std::chrono::system_clock::time_point t;
  REQUIRE(ParseMicroTime("2026-12-04T16:07:00.123456Z", &t));
  CHECK(FormatMicroTime(t) == "2026-12-04T16:07:00.123456Z");
  REQUIRE(ParseMicroTime("2026-12-04T16:07:00Z", &t));
  CHECK(FormatMicroTime(t) == "2026-12-04T16:07:00.000000Z");
  CHECK_FALSE(ParseMicroTime("2026-12-04T16:07:00", &t));
  CHECK_FALSE(ParseMicroTime("2026-12-04 16:07:00Z", &t));
  CHECK_FALSE(ParseMicroTime("", &t));
}

TEST_CASE("an absent lease is created and this replica leads", "[kube][leader]") {
  Elected e;
  e.h.server.Expect("GET", Target(kLease), {.status = 404, .parts = {"{}"}});
  e.h.server.Expect(
      "POST", Target(kLeases),
      {.status = 201, .parts = {LeaseJson("1", "me", std::chrono::system_clock::now())}});
  e.Start();
  REQUIRE(e.h.RunUntil([&] { return e.elector->leading(); }));
  CHECK(e.started == 1);
  auto writes = e.Writes();
  REQUIRE(writes.size() == 1);
  auto doc = Parse(writes[0].body);
  CHECK(std::string(doc["spec"]["holderIdentity"].GetString()) == "me");
  CHECK(doc["spec"]["leaseDurationSeconds"].GetInt() == 15);
  CHECK_FALSE(doc["metadata"].HasMember("resourceVersion"));
}

TEST_CASE("our own lease is renewed with the resourceVersion just read", "[kube][leader]") {
  Elected e;
  auto now = std::chrono::system_clock::now();
  e.h.server.Expect("GET", Target(kLease), {.parts = {LeaseJson("5", "me", now)}});
  e.h.server.Expect("PUT", Target(kLease), {.parts = {LeaseJson("6", "me", now)}});
  e.h.server.Expect("GET", Target(kLease), {.parts = {LeaseJson("6", "me", now)}});
  e.h.server.Expect("PUT", Target(kLease), {.parts = {LeaseJson("7", "me", now)}});
  e.Start();
  REQUIRE(e.h.RunUntil([&] { return e.elector->stats().writes == 2; }));
  CHECK(e.elector->leading());
  CHECK(e.started == 1);
  auto writes = e.Writes();
  CHECK(std::string(Parse(writes[0].body)["metadata"]["resourceVersion"].GetString()) == "5");
  CHECK(std::string(Parse(writes[1].body)["metadata"]["resourceVersion"].GetString()) == "6");
  // Still ours: no transition counted.
  CHECK(Parse(writes[1].body)["spec"]["leaseTransitions"].GetInt() == 0);
}

TEST_CASE("a 409 on renewal re-reads at once and steps down for the new holder", "[kube][leader]") {
  Elected e;
  auto now = std::chrono::system_clock::now();
  e.h.server.Expect("GET", Target(kLease), {.parts = {LeaseJson("5", "me", now)}});
  e.h.server.Expect("PUT", Target(kLease), {.parts = {LeaseJson("6", "me", now)}});
  e.h.server.Expect("GET", Target(kLease), {.parts = {LeaseJson("6", "me", now)}});
  e.h.server.Expect("PUT", Target(kLease), {.status = 409, .parts = {"{\"code\":409}"}});
  e.h.server.Expect("GET", Target(kLease), {.parts = {LeaseJson("8", "other", now)}});
  e.Start();
  REQUIRE(e.h.RunUntil([&] { return e.stopped == 1; }));
  CHECK_FALSE(e.elector->leading());
  CHECK(e.started == 1);
  CHECK(e.elector->stats().conflicts == 1);
  CHECK(e.h.server.requests().size() == 5);
}

TEST_CASE("an expired lease of another replica is taken over", "[kube][leader]") {
  Elected e;
  auto long_ago = std::chrono::system_clock::now() - std::chrono::seconds(16);
  e.h.server.Expect("GET", Target(kLease), {.parts = {LeaseJson("5", "other", long_ago, 3)}});
  e.h.server.Expect("PUT", Target(kLease),
                    {.parts = {LeaseJson("6", "me", std::chrono::system_clock::now(), 4)}});
  e.Start();
  REQUIRE(e.h.RunUntil([&] { return e.elector->leading(); }));
  auto doc = Parse(e.Writes().at(0).body);
  CHECK(std::string(doc["spec"]["holderIdentity"].GetString()) == "me");
  CHECK(doc["spec"]["leaseTransitions"].GetInt() == 4);
}

TEST_CASE("a live lease of another replica is left alone", "[kube][leader]") {
  Elected e;
  auto now = std::chrono::system_clock::now();
  for (int i = 0; i < 3; ++i) {
    e.h.server.Expect("GET", Target(kLease), {.parts = {LeaseJson("5", "other", now)}});
  }
  e.Start();
  REQUIRE(e.h.RunUntil(
      [&] { return e.elector->stats().attempts >= 3 && e.h.server.requests().size() >= 3; }));
  CHECK(e.Writes().empty());
  CHECK_FALSE(e.elector->leading());
  CHECK(e.started == 0);
}

TEST_CASE("a leader that cannot renew steps down at the renew deadline", "[kube][leader]") {
  Elected e;
  auto now = std::chrono::system_clock::now();
  e.h.server.Expect("GET", Target(kLease), {.parts = {LeaseJson("5", "me", now)}});
  e.h.server.Expect("PUT", Target(kLease), {.parts = {LeaseJson("6", "me", now)}});
  // Every later request hangs, unanswered.
  e.Start(std::chrono::milliseconds(300));
  REQUIRE(e.h.RunUntil([&] { return e.started == 1; }));
  auto led = std::chrono::steady_clock::now();
  REQUIRE(e.h.RunUntil([&] { return e.stopped == 1; }));
  // Not at the first failed renewal (50 ms) but at the deadline (300 ms after
  // the last renewal, which was just before `led`).
  CHECK(std::chrono::steady_clock::now() - led >= std::chrono::milliseconds(250));
  CHECK(e.elector->stats().attempts >= 2);  // it did try to renew
}

TEST_CASE("release clears the holder so another replica takes over at once", "[kube][leader]") {
  Elected e;
  auto now = std::chrono::system_clock::now();
  e.h.server.Expect("GET", Target(kLease), {.status = 404, .parts = {"{}"}});
  e.h.server.Expect("POST", Target(kLeases), {.status = 201, .parts = {LeaseJson("1", "me", now)}});
  e.h.server.Expect("PUT", Target(kLease), {.parts = {LeaseJson("2", "", now)}});
  e.Start();
  REQUIRE(e.h.RunUntil([&] { return e.elector->leading(); }));
  bool released = false;
  e.elector->Release([&] { released = true; });
  CHECK_FALSE(released);  // never from inside Release()
  REQUIRE(e.h.RunUntil([&] { return released; }));
  CHECK(e.stopped == 1);
  auto writes = e.Writes();
  REQUIRE(writes.size() == 2);
  CHECK(writes[1].method == "PUT");
  auto doc = Parse(writes[1].body);
  CHECK(std::string(doc["spec"]["holderIdentity"].GetString()).empty());
  CHECK(std::string(doc["metadata"]["resourceVersion"].GetString()) == "1");
}

}  // namespace
}  // namespace portico::controlplane::testing
