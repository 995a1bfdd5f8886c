// Reflector: 410 Gone, as an HTTP status and as an in-band ERROR event,
// makes it list again and replace its copy, reporting what vanished.
#include <catch2/catch.hpp>

#include "controlplane/kube/reflector.h"
#include "tests/controlplane/kube/support/api_json.h"
#include "tests/controlplane/kube/support/reflector_harness.h"

namespace portico::controlplane::testing {
namespace {

// First list: a, b, c. While the watch was gone, a was deleted, b changed,
// c stayed and d appeared.
void ScriptFirstList(ScriptedApiServer* server) {
  server->Expect(ListOf(kServices),
                 {.parts = {ListBody("10", "", {Object("default", "a", "5"),
                                                Object("default", "b", "6"),
                                                Object("default", "c", "7")})}});
}

void ScriptRelist(ScriptedApiServer* server) {
  server->Expect(ListOf(kServices),
                 {.parts = {ListBody("30", "", {Object("default", "b", "21"),
                                                Object("default", "c", "7"),
                                                Object("default", "d", "22")})}});
}

void CheckRelisted(ReflectorHarness& h) {
  auto requests = h.server.requests();
  REQUIRE(requests.size() >= 4);
  CHECK(h.server.count("limit=") == 2);
  CHECK(requests[3].target.find("watch=1&resourceVersion=30&") != std::string::npos);
  CHECK(h.Stored() == std::vector<std::string>{"default/b@21", "default/c@7", "default/d@22"});
  CHECK(h.deltas == std::vector<std::string>{
                        "ADDED default/a 5", "ADDED default/b 6", "ADDED default/c 7",
                        // the relist: a synthesised delete with a's last state, c untouched
                        "DELETED default/a 5", "MODIFIED default/b 21", "ADDED default/d 22"});
  CHECK(h.reflector->stats().expired == 1);
  CHECK(h.reflector->stats().lists == 2);
  CHECK(h.listed == 2);
}

TEST_CASE("410 on a watch, as HTTP status or in-band ERROR: relist, replace, synthesise deletes",
          "[kube][reflector]") {
  ScriptedResponse gone = GENERATE(
      ScriptedResponse{.status = 410, .parts = {ExpiredStatus()}},
      ScriptedResponse{.parts = {Event("ERROR", ExpiredStatus())}, .hold_open = true});
  ReflectorHarness h;
  ScriptFirstList(&h.server);
  h.server.Expect(WatchOf(kServices), gone);
  ScriptRelist(&h.server);
  h.Start();
  REQUIRE(h.WaitForRequests(4));
  CheckRelisted(h);
}

TEST_CASE("events before an in-band 410 are applied, the rest come from the relist",
          "[kube][reflector]") {
  ReflectorHarness h;
  ScriptFirstList(&h.server);
  h.server.Expect(WatchOf(kServices),
                  {.parts = {Event("DELETED", Object("default", "a", "11")),
                             Event("ERROR", ExpiredStatus()),
                             Event("ADDED", Object("default", "z", "99"))},  // after: ignored
                   .hold_open = true});
  ScriptRelist(&h.server);
  h.Start();
  REQUIRE(h.WaitForRequests(4));
  CHECK(h.Stored() == std::vector<std::string>{"default/b@21", "default/c@7", "default/d@22"});
  CHECK(h.deltas == std::vector<std::string>{"ADDED default/a 5", "ADDED default/b 6",
                                             "ADDED default/c 7", "DELETED default/a 11",
                                             "MODIFIED default/b 21", "ADDED default/d 22"});
}

TEST_CASE("410 again right after a relist waits for the backoff", "[kube][reflector]") {
  ReflectorHarness h;
  ScriptFirstList(&h.server);
  h.server.Expect(WatchOf(kServices), {.status = 410, .parts = {ExpiredStatus()}});
  ScriptRelist(&h.server);
  h.server.Expect(WatchOf(kServices), {.status = 410, .parts = {ExpiredStatus()}});
  h.server.Expect(ListOf(kServices), {.parts = {ListBody("40", "", {})}});
  h.Start();
  REQUIRE(h.WaitForRequests(6));
  CHECK(h.reflector->stats().expired == 2);
  CHECK(h.reflector->stats().failures == 1);
  CHECK(h.Stored().empty());
}

}  // namespace
}  // namespace portico::controlplane::testing
