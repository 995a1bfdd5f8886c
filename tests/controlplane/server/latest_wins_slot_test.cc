#include "controlplane/server/latest_wins_slot.h"

#include <catch2/catch.hpp>

namespace portico::controlplane {
namespace {

LatestWinsSlot::Message Version(const std::string& version) {
  auto m = std::make_shared<v1::ControllerMessage>();
  m->mutable_snapshot()->set_version(version);
  return m;
}

std::string VersionOf(const LatestWinsSlot::Message& m) {
  return m ? m->snapshot().version() : "<none>";
}

TEST_CASE("one write in flight, then only the newest of the offers made meanwhile follows",
          "[latest_wins_slot]") {
  LatestWinsSlot slot;
  CHECK(VersionOf(slot.TakeNext()) == "<none>");
  slot.Offer(Version("v1"));
  CHECK(VersionOf(slot.TakeNext()) == "v1");
  CHECK(slot.writing());
  slot.Offer(Version("v2"));
  slot.Offer(Version("v3"));
  CHECK(VersionOf(slot.TakeNext()) == "<none>");  // v1 still in flight
  slot.WriteDone(true);
  CHECK(slot.sent_version() == "v1");
  CHECK(VersionOf(slot.TakeNext()) == "v3");
  slot.WriteDone(true);
  CHECK(VersionOf(slot.TakeNext()) == "<none>");
  CHECK(slot.sent_version() == "v3");
}

TEST_CASE("a version the proxy has is never sent", "[latest_wins_slot]") {
  LatestWinsSlot slot;
  slot.SetPeerVersion("v1");
  slot.Offer(Version("v1"));
  CHECK(VersionOf(slot.TakeNext()) == "<none>");
  slot.Offer(Version("v2"));
  CHECK(VersionOf(slot.TakeNext()) == "v2");
  slot.WriteDone(true);
  slot.Offer(Version("v2"));
  CHECK(VersionOf(slot.TakeNext()) == "<none>");
}

TEST_CASE("a failed write does not count as sent", "[latest_wins_slot]") {
  LatestWinsSlot slot;
  slot.Offer(Version("v1"));
  REQUIRE(VersionOf(slot.TakeNext()) == "v1");
  slot.WriteDone(false);
  CHECK_FALSE(slot.writing());
  CHECK(slot.sent_version() == "");
}

TEST_CASE("an answer from the proxy proves delivery before the write completes",
          "[latest_wins_slot]") {
  LatestWinsSlot slot;
  slot.Offer(Version("v1"));
  REQUIRE(VersionOf(slot.TakeNext()) == "v1");
  slot.Delivered("v0");  // not the one in flight: nothing changes
  CHECK(slot.sent_version() == "");
  slot.Delivered("v1");
  CHECK(slot.sent_version() == "v1");
  CHECK(slot.writing());  // still in flight until gRPC says so
  slot.WriteDone(true);
  CHECK(slot.sent_version() == "v1");
}

}  // namespace
}  // namespace portico::controlplane
