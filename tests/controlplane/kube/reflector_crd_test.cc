// Reflector of an optional kind (a CRD): 404 means "not installed", which
// counts as an empty, listed collection and is checked again periodically.
#include <catch2/catch.hpp>

#include "controlplane/kube/reflector.h"
#include "tests/controlplane/kube/support/api_json.h"
#include "tests/controlplane/kube/support/reflector_harness.h"

namespace portico::controlplane::testing {
namespace {

constexpr char kRoutes[] = "/apis/portico.dev/v1alpha1/ingressroutes";

ReflectorOptions RouteOptions() {
  ReflectorOptions options;
  options.kind = {.group = "portico.dev",
                  .version = "v1alpha1",
                  .resource = "ingressroutes",
                  .kind = "IngressRoute",
                  .optional = true};
  options.absent_recheck_ms = 100;
  return options;
}

std::string NotFound() {
  return R"({"kind":"Status","apiVersion":"v1","status":"Failure","reason":"NotFound",)"
         R"("message":"the server could not find the requested resource","code":404})";
}

TEST_CASE("a CRD kind answered 404 is listed empty at once, then watched once installed",
          "[kube][reflector][crd]") {
  ReflectorHarness h;
  h.server.Expect(ListOf(kRoutes), {.status = 404, .parts = {NotFound()}});
  h.server.Expect(ListOf(kRoutes), {.status = 404, .parts = {NotFound()}});
  h.server.Expect(ListOf(kRoutes), {.parts = {ListBody("9", "", {Object("default", "web", "8")})}});
  h.Start({}, RouteOptions());
  // Synced by the first 404: readiness does not wait for a CRD.
  REQUIRE(h.RunUntil([&] { return h.reflector->synced(); }));
  CHECK_FALSE(h.reflector->installed());
  CHECK(h.listed == 1);
  CHECK(h.reflector->objects().empty());
  REQUIRE(h.WaitForRequests(4));  // 404, 404, the list, the watch
  auto requests = h.server.requests();
  // Re-checked after absent_recheck_ms ±20 %, not retried at once.
  for (size_t i : {1, 2}) {
    CHECK(requests[i].at - requests[i - 1].at >= std::chrono::milliseconds(75));
    CHECK(requests[i].target == std::string(kRoutes) + "?limit=500");
  }
  CHECK(requests[3].target.starts_with(std::string(kRoutes) + "?watch=1&resourceVersion=9"));
  CHECK(h.reflector->installed());
  CHECK(h.reflector->stats().absent == 2);
  CHECK(h.reflector->stats().failures == 0);
  // The second 404 changed nothing, so it was not reported as a list.
  CHECK(h.listed == 2);
  CHECK(h.deltas == std::vector<std::string>{"ADDED default/web 8"});
}

TEST_CASE("a CRD deleted while watched empties the collection", "[kube][reflector][crd]") {
  ReflectorHarness h;
  h.server.Expect(ListOf(kRoutes), {.parts = {ListBody("9", "", {Object("default", "web", "8")})}});
  h.server.Expect(WatchOf(kRoutes), {.status = 404, .parts = {NotFound()}});
  h.server.Expect(ListOf(kRoutes), {.status = 404, .parts = {NotFound()}});
  h.Start({}, RouteOptions());
  REQUIRE(h.RunUntil([&] { return !h.reflector->installed(); }));
  CHECK(h.reflector->objects().empty());
  CHECK(h.deltas == std::vector<std::string>{"ADDED default/web 8", "DELETED default/web 8"});
  CHECK(h.listed == 2);
}

TEST_CASE("a CRD kind RBAC forbids (403) does not hold up the sync either",
          "[kube][reflector][crd]") {
  ReflectorHarness h;
  h.server.Expect(ListOf(kRoutes), {.status = 403, .parts = {"{\"kind\":\"Status\"}"}});
  h.server.Expect(ListOf(kRoutes), {.parts = {ListBody("4", "", {})}});
  h.Start({}, RouteOptions());
  REQUIRE(h.RunUntil([&] { return h.reflector->synced(); }));
  CHECK_FALSE(h.reflector->installed());
  REQUIRE(h.WaitForRequests(3));  // 403, the list once permitted, the watch
  CHECK(h.reflector->installed());
  CHECK(h.reflector->stats().absent == 1);
}

TEST_CASE("404 on a built-in kind stays an error retried with backoff", "[kube][reflector][crd]") {
  ReflectorHarness h;
  h.server.Expect(ListOf(kServices), {.status = 404, .parts = {NotFound()}});
  h.server.Expect(ListOf(kServices), {.parts = {ListBody("3", "", {})}});
  h.Start();
  REQUIRE(h.RunUntil([&] { return h.reflector->synced(); }));
  CHECK(h.reflector->stats().failures == 1);
  CHECK(h.reflector->stats().absent == 0);
}

}  // namespace
}  // namespace portico::controlplane::testing
