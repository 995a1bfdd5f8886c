// PlanCrdStatus: the Ready condition each custom resource should carry, from
// a compile's diagnostics and issues, and which objects need a write.
#include "controlplane/kube/crd_status.h"

#include <catch2/catch.hpp>
#include <set>

namespace portico::controlplane::testing {
namespace {

constexpr char kNow[] = "2026-12-04T18:00:00Z";

SourceObject Object(const std::string& origin, const std::string& json) {
  SourceObject o{.origin = origin};
  o.json.Parse(json.c_str());
  REQUIRE(o.json.IsObject());
  return o;
}

// An IngressRoute "default/NAME" at `generation`, with `status` as stored.
SourceObject Route(const std::string& name, int generation, const std::string& status = "",
                   const std::string& api_version = "portico.dev/v1alpha1") {
  return Object(
      "kube:ingressroutes." + api_version.substr(0, api_version.find('/')) + "/default/" + name,
      R"({"apiVersion":")" + api_version +
          R"(","kind":"IngressRoute","metadata":{"namespace":"default","name":")" + name +
          R"(","generation":)" + std::to_string(generation) + R"(},"spec":{"routes":[]})" +
          (status.empty() ? "" : ",\"status\":" + status) + "}");
}

// Routes came from these unless a test says otherwise.
const std::set<std::string> kRouted = {"IngressRoute/default/web", "IngressRoute/default/other"};

std::vector<CrdStatusUpdate> Plan(const std::vector<SourceObject>& objects,
                                  const std::vector<Diagnostic>& diagnostics = {},
                                  const std::vector<SourceIssue>& issues = {}, bool traefik = false,
                                  const std::set<std::string>& routed = kRouted,
                                  const std::set<std::string>& other_class = {}) {
  std::vector<ResourceKind> kinds = CrdKinds(traefik);
  CompileFindings findings{
      .diagnostics = diagnostics, .issues = issues, .routed = routed, .other_class = other_class};
  return PlanCrdStatus({.kinds = kinds, .objects = objects, .findings = findings, .now = kNow});
}

TEST_CASE("crd status: a compiled object without diagnostics is Ready True", "[kube][crd-status]") {
  std::vector<SourceObject> objects;
  objects.push_back(Route("web", 3));
  auto updates = Plan(objects);
  REQUIRE(updates.size() == 1);
  CHECK(updates[0].path ==
        "/apis/portico.dev/v1alpha1/namespaces/default/ingressroutes/web/status");
  CHECK(updates[0].object == "IngressRoute default/web");
  CHECK(updates[0].patch ==
        R"({"status":{"observedGeneration":3,"conditions":[{"type":"Ready","status":"True",)"
        R"("reason":"Accepted","message":"accepted; the compiler found no problem",)"
        R"("observedGeneration":3,"lastTransitionTime":"2026-12-04T18:00:00Z"}]}})");
}

TEST_CASE("crd status: diagnostics make Ready False with their reason and messages",
          "[kube][crd-status]") {
  std::vector<SourceObject> objects;
  objects.push_back(Route("web", 2));
  objects.push_back(Route("other", 1));
  auto updates =
      Plan(objects, {{"IngressRoute/default/web", "BackendNotFound",
                      "spec.routes[0].services[0]: Service default/nope does not exist"},
                     {"IngressRoute/default/web", "Unsupported", "spec.routes[1].syntax: only v3"},
                     {"Ingress/default/web", "BackendNotFound", "an Ingress of the same name"}});
  REQUIRE(updates.size() == 2);
  CHECK(updates[0].object == "IngressRoute default/web");
  CHECK(updates[0].ready.status == "False");
  CHECK(updates[0].ready.reason == "BackendNotFound");
  CHECK(updates[0].ready.message ==
        "spec.routes[0].services[0]: Service default/nope does not exist; "
        "spec.routes[1].syntax: only v3");
  CHECK(updates[0].ready.observed_generation == 2);
  CHECK(updates[1].object == "IngressRoute default/other");
  CHECK(updates[1].ready.status == "True");
}

TEST_CASE("crd status: a route kind with no route served is NotServed, another class's is left",
          "[kube][crd-status]") {
  std::vector<SourceObject> objects;
  objects.push_back(Route("idle", 1));
  objects.push_back(Route("theirs", 1));
  objects.push_back(Object("kube:middlewares.portico.dev/default/auth",
                           R"({"apiVersion":"portico.dev/v1alpha1","kind":"Middleware",)"
                           R"("metadata":{"namespace":"default","name":"auth","generation":1}})"));
  auto updates = Plan(objects, {}, {}, false, kRouted, {"IngressRoute/default/theirs"});
  REQUIRE(updates.size() == 2);
  CHECK(updates[0].object == "IngressRoute default/idle");
  CHECK(updates[0].ready.status == "False");
  CHECK(updates[0].ready.reason == "NotServed");
  CHECK(updates[0].ready.message == "none of its routes is in the snapshot served to the proxies");
  // Not a route kind: accepted once decoded without a problem.
  CHECK(updates[1].object == "Middleware default/auth");
  CHECK(updates[1].ready.status == "True");
}

TEST_CASE("crd status: at most 8 messages and 32 000 bytes go into one condition",
          "[kube][crd-status]") {
  std::vector<SourceObject> objects;
  objects.push_back(Route("web", 1));
  std::vector<Diagnostic> many;
  for (int i = 0; i < 10; ++i) many.push_back({"IngressRoute/default/web", "R", "m"});
  auto updates = Plan(objects, many);
  REQUIRE(updates.size() == 1);
  CHECK(updates[0].ready.message == "m; m; m; m; m; m; m; m; and 2 more");
  std::vector<Diagnostic> long_ones(5, {"IngressRoute/default/web", "R", std::string(9000, 'x')});
  updates = Plan(objects, long_ones);
  REQUIRE(updates.size() == 1);
  CHECK(updates[0].ready.message.size() == 32'003);
  CHECK(updates[0].ready.message.ends_with("x..."));
}

TEST_CASE("crd status: nothing to write when the stored status is the desired one",
          "[kube][crd-status]") {
  std::vector<SourceObject> objects;
  objects.push_back(
      Route("web", 4,
            R"({"observedGeneration":4,"conditions":[{"type":"Ready","status":"True",)"
            R"("reason":"Accepted","message":"accepted; the compiler found no problem",)"
            R"("observedGeneration":4,"lastTransitionTime":"2026-01-01T00:00:00Z"}]})"));
  objects.push_back(Object("kube:ingresses/default/web",
                           R"({"apiVersion":"networking.k8s.io/v1","kind":"Ingress",)"
                           R"("metadata":{"namespace":"default","name":"web"}})"));
  CHECK(Plan(objects).empty());
}

TEST_CASE("crd status: a new generation rewrites, keeping lastTransitionTime while status holds",
          "[kube][crd-status]") {
  std::vector<SourceObject> objects;
  objects.push_back(Route(
      "web", 5,
      R"({"observedGeneration":4,"conditions":[{"type":"Accepted","status":"True","reason":"A",)"
      R"("message":"","lastTransitionTime":"2025-05-05T00:00:00Z"},{"type":"Ready",)"
      R"("status":"False","reason":"BackendNotFound","message":"old",)"
      R"("observedGeneration":4,"lastTransitionTime":"2026-01-01T00:00:00Z"}]})"));
  auto updates = Plan(objects, {{"IngressRoute/default/web", "PortNotFound", "new"}});
  REQUIRE(updates.size() == 1);
  // The other condition is written back (a merge patch replaces the list).
  CHECK(updates[0].patch ==
        R"({"status":{"observedGeneration":5,"conditions":[{"type":"Accepted","status":"True",)"
        R"("reason":"A","message":"","lastTransitionTime":"2025-05-05T00:00:00Z"},)"
        R"({"type":"Ready","status":"False","reason":"PortNotFound","message":"new",)"
        R"("observedGeneration":5,"lastTransitionTime":"2026-01-01T00:00:00Z"}]}})");
}

TEST_CASE("crd status: a flip of Ready's status sets lastTransitionTime to now",
          "[kube][crd-status]") {
  std::vector<SourceObject> objects;
  objects.push_back(
      Route("web", 6,
            R"({"observedGeneration":5,"conditions":[{"type":"Ready","status":"False",)"
            R"("reason":"BackendNotFound","message":"m","observedGeneration":5,)"
            R"("lastTransitionTime":"2026-01-01T00:00:00Z"}]})"));
  auto updates = Plan(objects);
  REQUIRE(updates.size() == 1);
  CHECK(updates[0].ready.status == "True");
  CHECK(updates[0].ready.last_transition_time == kNow);
}

TEST_CASE("crd status: an object refused by the decoder is Ready False, reason Invalid",
          "[kube][crd-status]") {
  std::vector<SourceObject> objects;
  objects.push_back(Route("bad", 1));
  auto updates = Plan(objects, {},
                      {{"kube:ingressroutes.portico.dev/default/bad",
                        "IngressRoute default/bad: spec.routes[0].match: required"}});
  REQUIRE(updates.size() == 1);
  CHECK(updates[0].ready.reason == "Invalid");
  CHECK(updates[0].ready.message == "IngressRoute default/bad: spec.routes[0].match: required");
}

TEST_CASE("crd status: traefik.io objects are written under traefik.io with --traefik-compat",
          "[kube][crd-status]") {
  std::vector<SourceObject> objects;
  objects.push_back(Route("web", 1, "", "traefik.io/v1alpha1"));
  objects.push_back(Object("kube:traefikservices.traefik.io/default/wrr",
                           R"({"apiVersion":"traefik.io/v1alpha1","kind":"TraefikService",)"
                           R"("metadata":{"namespace":"default","name":"wrr","generation":2}})"));
  CHECK(Plan(objects).empty());  // not watched without --traefik-compat
  auto updates = Plan(objects, {{"WeightedService/default/wrr", "Cycle", "spec.weighted: cycle"}},
                      {}, true, {"IngressRoute/default/web"});
  REQUIRE(updates.size() == 2);
  CHECK(updates[0].path == "/apis/traefik.io/v1alpha1/namespaces/default/ingressroutes/web/status");
  CHECK(updates[1].path ==
        "/apis/traefik.io/v1alpha1/namespaces/default/traefikservices/wrr/status");
  CHECK(updates[1].ready.reason == "Cycle");
}

TEST_CASE("crd kinds: one per file of crds/, named as the file", "[kube][crd-status]") {
  std::vector<ResourceKind> kinds = CrdKinds(false);
  REQUIRE(kinds.size() == 10);
  for (const ResourceKind& kind : kinds) {
    CHECK(kind.optional);
    CHECK(kind.api_version() == "portico.dev/v1alpha1");
    std::string file = std::string(PORTICO_SOURCE_DIR) + "/crds/" + kind.resource + ".yaml";
    FILE* f = std::fopen(file.c_str(), "r");
    CHECK(f != nullptr);
    if (f == nullptr) continue;
    std::string text;
    char buffer[4096];
    for (size_t n; (n = std::fread(buffer, 1, sizeof buffer, f)) > 0;) text.append(buffer, n);
    std::fclose(f);
    CHECK(text.find("kind: " + kind.kind + "\n") != std::string::npos);
    CHECK(text.find("plural: " + kind.resource + "\n") != std::string::npos);
  }
  CHECK(CrdKinds(true).size() == 20);
}

}  // namespace
}  // namespace portico::controlplane::testing
