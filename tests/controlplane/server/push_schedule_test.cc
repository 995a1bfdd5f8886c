#include "controlplane/server/push_schedule.h"

#include <catch2/catch.hpp>

namespace portico::controlplane {
namespace {

SnapshotPtr Snap(const std::string& version) {
  v1::Snapshot s;
  s.set_version(version);
  return std::make_shared<const SharedSnapshot>(SharedSnapshot::FromMessage(std::move(s)));
}

constexpr auto kOk = v1::SnapshotAck::OK;
constexpr auto kValidation = v1::SnapshotAck::VALIDATION;
constexpr auto kBaseMismatch = v1::SnapshotAck::BASE_MISMATCH;

TEST_CASE("nothing is sent before the hello or before any snapshot", "[push]") {
  PushSchedule s;
  s.Offer(Snap("a"));
  CHECK_FALSE(s.Next());
  PushSchedule t;
  t.Hello("", nullptr);
  CHECK_FALSE(t.Next());
}

TEST_CASE("first connect: FULL, then deltas from the acked version", "[push]") {
  PushSchedule s;
  s.Hello("", nullptr);
  auto a = Snap("a");
  s.Offer(a);
  auto plan = s.Next();
  REQUIRE(plan);
  CHECK(plan->mode == v1::SnapshotBegin::FULL);
  CHECK(plan->target == a);
  CHECK(s.awaiting_answer());
  CHECK_FALSE(s.Next());  // one transfer at a time
  CHECK(s.Answered("a", true, kOk) == PushSchedule::Answer::kApplied);
  CHECK(s.acked_version() == "a");
  CHECK_FALSE(s.Next());  // up to date

  s.Offer(Snap("b"));
  plan = s.Next();
  REQUIRE(plan);
  CHECK(plan->mode == v1::SnapshotBegin::DELTA);
  CHECK(plan->base == a);
  CHECK(plan->target->version() == "b");
}

TEST_CASE("a proxy that has the newest is told it is up to date, once", "[push]") {
  PushSchedule s;
  auto a = Snap("a");
  s.Hello("a", nullptr);  // not held: another replica's, same content
  s.Offer(a);
  auto plan = s.Next();
  REQUIRE(plan);
  CHECK(plan->mode == v1::SnapshotBegin::UP_TO_DATE);
  CHECK_FALSE(s.awaiting_answer());
  CHECK_FALSE(s.Next());
}

TEST_CASE("resume from a held version gets a delta, from an unknown one a FULL", "[push]") {
  auto old = Snap("old");
  PushSchedule held;
  held.Hello("old", old);
  held.Offer(Snap("new"));
  auto plan = held.Next();
  REQUIRE(plan);
  CHECK(plan->mode == v1::SnapshotBegin::DELTA);
  CHECK(plan->base == old);

  PushSchedule unknown;
  unknown.Hello("gone", nullptr);
  unknown.Offer(Snap("new"));
  plan = unknown.Next();
  REQUIRE(plan);
  CHECK(plan->mode == v1::SnapshotBegin::FULL);
}

TEST_CASE("snapshots offered while an answer is pending: only the newest follows", "[push]") {
  PushSchedule s;
  s.Hello("", nullptr);
  s.Offer(Snap("a"));
  REQUIRE(s.Next());
  s.Offer(Snap("b"));
  s.Offer(Snap("c"));
  CHECK_FALSE(s.Next());
  CHECK(s.Answered("a", true, kOk) == PushSchedule::Answer::kApplied);
  auto plan = s.Next();
  REQUIRE(plan);
  CHECK(plan->target->version() == "c");
  CHECK(plan->base->version() == "a");
}

TEST_CASE("a NACKed version is never sent again, a newer one is", "[push]") {
  PushSchedule s;
  s.Hello("", nullptr);
  s.Offer(Snap("a"));
  REQUIRE(s.Next());
  CHECK(s.Answered("a", false, kValidation) == PushSchedule::Answer::kRefused);
  CHECK(s.parked());
  CHECK_FALSE(s.Next());
  s.Offer(Snap("a"));  // offered again (e.g. by a resync): still parked
  CHECK_FALSE(s.Next());
  s.Offer(Snap("b"));
  CHECK_FALSE(s.parked());
  auto plan = s.Next();
  REQUIRE(plan);
  CHECK(plan->mode == v1::SnapshotBegin::FULL);  // nothing acked yet
}

TEST_CASE("BASE_MISMATCH on a delta gets the same version as FULL", "[push]") {
  PushSchedule s;
  auto a = Snap("a");
  s.Hello("a", a);
  s.Offer(Snap("b"));
  auto plan = s.Next();
  REQUIRE(plan);
  REQUIRE(plan->mode == v1::SnapshotBegin::DELTA);
  CHECK(s.Answered("b", false, kBaseMismatch) == PushSchedule::Answer::kRefused);
  plan = s.Next();
  REQUIRE(plan);
  CHECK(plan->mode == v1::SnapshotBegin::FULL);
  CHECK(plan->target->version() == "b");
  // A BASE_MISMATCH on a FULL makes no sense: it parks like any refusal.
  CHECK(s.Answered("b", false, kBaseMismatch) == PushSchedule::Answer::kRefused);
  CHECK_FALSE(s.Next());
}

TEST_CASE("answers that match nothing pending are reported", "[push]") {
  PushSchedule s;
  s.Hello("", nullptr);
  CHECK(s.Answered("x", true, kOk) == PushSchedule::Answer::kUnexpected);
  s.Offer(Snap("a"));
  REQUIRE(s.Next());
  CHECK(s.Answered("other", true, kOk) == PushSchedule::Answer::kUnexpected);
  CHECK(s.awaiting_answer());
}

}  // namespace
}  // namespace portico::controlplane
