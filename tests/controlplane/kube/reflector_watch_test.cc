// Reflector: watching, resuming after a watch ends, and reassembling events
// that the network splits.
#include <catch2/catch.hpp>
#include <chrono>

#include "controlplane/kube/reflector.h"
#include "tests/controlplane/kube/support/api_json.h"
#include "tests/controlplane/kube/support/reflector_harness.h"

namespace portico::controlplane::testing {
namespace {

std::string ResourceVersionOf(const ReceivedRequest& r) {
  size_t at = r.target.find("resourceVersion=");
  if (at == std::string::npos) return "<none>";
  at += 16;
  return r.target.substr(at, r.target.find('&', at) - at);
}

TEST_CASE("a watch that ends normally resumes from the last version without listing",
          "[kube][reflector]") {
  ReflectorHarness h;
  h.server.Expect(ListOf(kServices), {.parts = {ListBody("10", "", {Object("default", "a", "9")})}});
  h.server.Expect(WatchOf(kServices),
                  {.parts = {Event("ADDED", Object("default", "b", "11")),
                             Event("MODIFIED", Object("default", "a", "12")),
                             Event("DELETED", Object("default", "b", "13"))}});
  // The server replays the last event after the resume: applied once only.
  h.server.Expect(WatchOf(kServices), {.parts = {Event("DELETED", Object("default", "b", "13")),
                                                 Event("ADDED", Object("default", "c", "14"))},
                                       .hold_open = true});
  h.Start();
  REQUIRE(h.RunUntil([&] { return h.reflector->resource_version() == "14"; }));
  auto requests = h.server.requests();
  REQUIRE(requests.size() == 3);
  CHECK(ResourceVersionOf(requests[1]) == "10");
  CHECK(ResourceVersionOf(requests[2]) == "13");
  CHECK(h.server.count("limit=") == 1);
  CHECK(h.deltas == std::vector<std::string>{"ADDED default/a 9", "ADDED default/b 11",
                                             "MODIFIED default/a 12", "DELETED default/b 13",
                                             "ADDED default/c 14"});
  CHECK(h.Stored() == std::vector<std::string>{"default/a@12", "default/c@14"});
  CHECK(h.reflector->stats().duplicates == 1);
  CHECK(h.reflector->stats().lists == 1);
}

TEST_CASE("an event for a version already held is not applied twice", "[kube][reflector]") {
  ReflectorHarness h;
  h.server.Expect(ListOf(kServices), {.parts = {ListBody("10", "", {Object("default", "a", "9")})}});
  h.server.Expect(WatchOf(kServices), {.parts = {Event("MODIFIED", Object("default", "a", "9")),
                                                 Event("MODIFIED", Object("default", "a", "11"))},
                                       .hold_open = true});
  h.Start();
  REQUIRE(h.RunUntil([&] { return h.reflector->resource_version() == "11"; }));
  CHECK(h.deltas == std::vector<std::string>{"ADDED default/a 9", "MODIFIED default/a 11"});
  CHECK(h.reflector->stats().duplicates == 1);
}

TEST_CASE("bookmarks move the resume version forward", "[kube][reflector]") {
  ReflectorHarness h;
  h.server.Expect(ListOf(kServices), {.parts = {ListBody("10", "", {})}});
  h.server.Expect(WatchOf(kServices), {.parts = {Bookmark("50"), Bookmark("70")}});
  h.Start();
  REQUIRE(h.WaitForRequests(3));
  auto requests = h.server.requests();
  CHECK(ResourceVersionOf(requests[2]) == "70");
  CHECK(h.server.count("limit=") == 1);
  CHECK(h.reflector->stats().bookmarks == 2);
  CHECK(h.deltas.empty());  // a bookmark changes no object
}

uint64_t NowUnixMs() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

TEST_CASE("the last sync time follows the list, then bookmarks and events", "[kube][reflector]") {
  for (const std::string& part : {Bookmark("50"), Event("ADDED", Object("default", "a", "50"))}) {
    INFO(part);
    ReflectorHarness h;
    h.server.Expect(ListOf(kServices), {.parts = {ListBody("10", "", {})}});
    h.server.Expect(WatchOf(kServices), {.parts = {part}, .hold_open = true, .gate = "watch"});
    uint64_t started = NowUnixMs();
    h.Start();
    REQUIRE(h.RunUntil([&] { return h.reflector->synced(); }));
    uint64_t listed = h.reflector->stats().last_sync_unix_ms;
    CHECK(listed >= started);
    CHECK(listed <= NowUnixMs());
    REQUIRE_FALSE(h.RunUntil([] { return false; }, 20));  // the clock moves on
    h.server.Open("watch");
    REQUIRE(h.RunUntil([&] { return h.reflector->resource_version() == "50"; }));
    CHECK(h.reflector->stats().last_sync_unix_ms >= listed + 20);
  }
}

TEST_CASE("events split across reads, byte by byte, are reassembled", "[kube][reflector]") {
  ReflectorHarness h;
  h.server.Expect(ListOf(kServices), {.parts = {ListBody("10", "", {})}});
  std::string crlf = Event("ADDED", Object("default", "b", "12"));
  crlf.insert(crlf.size() - 1, "\r");
  h.server.Expect(
      WatchOf(kServices),
      {.parts = {Event("ADDED", Object("default", "a", "11", "\"spec\":{\"note\":\"h\xc3\xa9\"}")),
                 crlf + "\n",  // a CRLF line end, then an empty line
                 Event("MODIFIED", Object("default", "a", "13"))},
       .byte_by_byte = true,
       .hold_open = true});
  h.Start();
  REQUIRE(h.RunUntil([&] { return h.reflector->resource_version() == "13"; }));
  CHECK(h.deltas == std::vector<std::string>{"ADDED default/a 11", "ADDED default/b 12",
                                             "MODIFIED default/a 13"});
  CHECK(h.reflector->stats().failures == 0);
}

TEST_CASE("a large event cut into many pieces is reassembled", "[kube][reflector]") {
  ReflectorHarness h;
  h.server.Expect(ListOf(kServices), {.parts = {ListBody("10", "", {})}});
  std::string event = Event(
      "ADDED", Object("default", "big", "11", "\"spec\":{\"note\":\"" + std::string(200'000, 'x') + "\"}"));
  ScriptedResponse watch{.hold_open = true};
  for (size_t at = 0; at < event.size(); at += 999) watch.parts.push_back(event.substr(at, 999));
  h.server.Expect(WatchOf(kServices), watch);
  h.Start();
  REQUIRE(h.RunUntil([&] { return h.reflector->resource_version() == "11"; }));
  const rapidjson::Document& big = *h.reflector->objects().at("default/big");
  CHECK(big["spec"]["note"].GetStringLength() == 200'000);
}

TEST_CASE("an event over the size limit ends the watch, it resumes without listing",
          "[kube][reflector]") {
  ReflectorHarness h;
  h.server.Expect(ListOf(kServices), {.parts = {ListBody("10", "", {})}});
  h.server.Expect(WatchOf(kServices),
                  {.parts = {Event("ADDED", Object("default", "a", "11")),
                             Event("ADDED", Object("default", "b", "12", "\"spec\":{\"note\":\"" +
                                                                       std::string(5000, 'x') + "\"}"))},
                   .hold_open = true});
  h.server.Expect(WatchOf(kServices), {.parts = {Event("ADDED", Object("default", "c", "13"))},
                                       .hold_open = true});
  h.Start({}, {.max_event_bytes = 4096});
  REQUIRE(h.RunUntil([&] { return h.reflector->resource_version() == "13"; }));
  auto requests = h.server.requests();
  REQUIRE(requests.size() == 3);
  CHECK(ResourceVersionOf(requests[2]) == "11");
  CHECK(h.server.count("limit=") == 1);
  CHECK(h.Stored() == std::vector<std::string>{"default/a@11", "default/c@13"});
  CHECK(h.reflector->stats().failures == 1);
}

TEST_CASE("a malformed event ends the watch, it resumes from the last good version",
          "[kube][reflector]") {
  ReflectorHarness h;
  h.server.Expect(ListOf(kServices), {.parts = {ListBody("10", "", {})}});
  h.server.Expect(WatchOf(kServices), {.parts = {Event("ADDED", Object("default", "a", "11")),
                                                 "{\"type\":\"ADDED\",\"object\":{\n"},
                                       .hold_open = true});
  h.server.Expect(WatchOf(kServices), {.parts = {Event("ADDED", Object("default", "b", "12"))},
                                       .hold_open = true});
  h.Start();
  REQUIRE(h.RunUntil([&] { return h.reflector->resource_version() == "12"; }));
  CHECK(ResourceVersionOf(h.server.requests()[2]) == "11");
  CHECK(h.server.count("limit=") == 1);
}

TEST_CASE("429 and a refused connection on a watch retry the watch, not the list",
          "[kube][reflector]") {
  ReflectorHarness h;
  h.server.Expect(ListOf(kServices), {.parts = {ListBody("10", "", {Object("default", "a", "9")})}});
  h.server.Expect(WatchOf(kServices), {.status = 429, .headers = {{"Retry-After", "0"}},
                                       .parts = {"{}"}});
  h.server.Expect(WatchOf(kServices), {.parts = {Event("ADDED", Object("default", "b", "11"))},
                                       .hold_open = true});
  h.Start();
  REQUIRE(h.RunUntil([&] { return h.reflector->resource_version() == "11"; }));
  CHECK(ResourceVersionOf(h.server.requests()[2]) == "10");
  CHECK(h.server.count("limit=") == 1);
  CHECK(h.deltas == std::vector<std::string>{"ADDED default/a 9", "ADDED default/b 11"});
}

TEST_CASE("a watch cut mid-event resumes from the last complete event", "[kube][reflector]") {
  ReflectorHarness h;
  h.server.Expect(ListOf(kServices), {.parts = {ListBody("10", "", {})}});
  std::string half = Event("ADDED", Object("default", "b", "12"));
  h.server.Expect(WatchOf(kServices), {.parts = {Event("ADDED", Object("default", "a", "11")),
                                                 half.substr(0, half.size() / 2)}});
  h.server.Expect(WatchOf(kServices), {.parts = {half}, .hold_open = true});
  h.Start();
  REQUIRE(h.RunUntil([&] { return h.reflector->resource_version() == "12"; }));
  CHECK(ResourceVersionOf(h.server.requests()[2]) == "11");
  CHECK(h.deltas == std::vector<std::string>{"ADDED default/a 11", "ADDED default/b 12"});
}

}  // namespace
}  // namespace portico::controlplane::testing
