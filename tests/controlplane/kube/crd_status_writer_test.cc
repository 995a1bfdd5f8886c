// CrdStatusWriter against the scripted API server: leader only, merge patch
// to /status, no repeat, retries with backoff on 409/5xx, 404 dropped, rate.
#include "controlplane/kube/crd_status_writer.h"

#include <catch2/catch.hpp>

#include "tests/controlplane/kube/support/client_harness.h"

namespace portico::controlplane::testing {
namespace {

std::string StatusPath(const std::string& name) {
  return "/apis/portico.dev/v1alpha1/namespaces/default/ingressroutes/" + name + "/status";
}

SourceObject Route(const std::string& name, const std::string& status = "") {
  SourceObject o{.origin = "kube:ingressroutes.portico.dev/default/" + name};
  std::string json = R"({"apiVersion":"portico.dev/v1alpha1","kind":"IngressRoute",)"
                     R"("metadata":{"namespace":"default","name":")" +
                     name + R"(","generation":1}, "spec":{})" +
                     (status.empty() ? "" : ",\"status\":" + status) + "}";
  o.json.Parse(json.c_str());
  REQUIRE(o.json.IsObject());
  return o;
}

constexpr char kWritten[] =
    R"({"observedGeneration":1,"conditions":[{"type":"Ready","status":"True",)"
    R"("reason":"Accepted","message":"accepted; the compiler found no problem",)"
    R"("observedGeneration":1,"lastTransitionTime":"2026-12-04T18:00:00Z"}]})";

struct Writer {
  ClientHarness h;
  std::unique_ptr<CrdStatusWriter> writer;
  explicit Writer(CrdStatusWriterOptions options = {}) {
    options.kinds = CrdKinds(false);
    options.now = [] { return std::string("2026-12-04T18:00:00Z"); };
    options.retry_initial_ms = 50;
    options.seed = 3;
    // Destroyed before h (declared after it): its destructor closes it, and
    // h's destructor runs the loop that frees its timer.
    writer = std::make_unique<CrdStatusWriter>(&h.loop, h.client.get(), options);
  }
  // Every object given compiled into routes, without a problem.
  void Observe(std::vector<SourceObject> objects) {
    std::set<std::string> routed;
    for (const SourceObject& o : objects) {
      routed.insert(std::string("IngressRoute/default/") + o.json["metadata"]["name"].GetString());
    }
    std::vector<Diagnostic> diagnostics;
    std::vector<SourceIssue> issues;
    std::set<std::string> other_class;
    writer->Observe(objects, {.diagnostics = diagnostics,
                              .issues = issues,
                              .routed = routed,
                              .other_class = other_class});
  }
  bool Idle() {
    return h.RunUntil([&] { return writer->pending() == 0; });
  }
};

std::vector<SourceObject> One(SourceObject o) {
  std::vector<SourceObject> v;
  v.push_back(std::move(o));
  return v;
}

TEST_CASE("crd status writer: only the leader writes, once, as a merge patch",
          "[kube][crd-status]") {
  Writer w;
  w.h.server.Expect("PATCH", Target(StatusPath("web")), {.parts = {"{}"}});
  w.Observe(One(Route("web")));
  CHECK(w.writer->pending() == 0);  // not leading: nothing queued
  w.writer->SetEnabled(true);
  REQUIRE(w.h.RunUntil([&] { return w.writer->stats().writes == 1; }));
  REQUIRE(w.Idle());
  auto requests = w.h.server.requests();
  REQUIRE(requests.size() == 1);
  CHECK(requests[0].method == "PATCH");
  CHECK(requests[0].content_type == "application/merge-patch+json");
  CHECK(requests[0].body == std::string(R"({"status":)") + kWritten + "}");
  // A load before the watch shows the write: not written again.
  w.Observe(One(Route("web")));
  CHECK(w.writer->pending() == 0);
  // The watch shows it: nothing to do.
  w.Observe(One(Route("web", kWritten)));
  CHECK(w.writer->pending() == 0);
  CHECK(w.h.server.requests().size() == 1);
}

TEST_CASE("crd status writer: 409 and 500 are retried after a backoff, 404 is dropped",
          "[kube][crd-status]") {
  Writer w;
  w.h.server.Expect("PATCH", Target(StatusPath("web")), {.status = 409, .parts = {"{}"}});
  w.h.server.Expect("PATCH", Target(StatusPath("web")), {.status = 500, .parts = {"{}"}});
  w.h.server.Expect("PATCH", Target(StatusPath("web")), {.parts = {"{}"}});
  w.h.server.Expect("PATCH", Target(StatusPath("gone")), {.status = 404, .parts = {"{}"}});
  w.writer->SetEnabled(true);
  std::vector<SourceObject> objects;
  objects.push_back(Route("web"));
  objects.push_back(Route("gone"));
  w.Observe(std::move(objects));
  REQUIRE(w.h.RunUntil([&] { return w.writer->stats().writes == 1; }));
  REQUIRE(w.Idle());
  CHECK(w.writer->stats().failures == 2);
  CHECK(w.writer->stats().gone == 1);
  CHECK(w.h.server.count("/gone/status") == 1);
  std::vector<std::chrono::steady_clock::time_point> web;
  for (const auto& r : w.h.server.requests()) {
    if (r.target == StatusPath("web")) web.push_back(r.at);
  }
  REQUIRE(web.size() == 3);
  CHECK(web[1] - web[0] >= std::chrono::milliseconds(45));  // 50 ms, +0-50 %
  CHECK(web[2] - web[1] >= std::chrono::milliseconds(95));  // then 100 ms
}

TEST_CASE("crd status writer: writes are paced by the token bucket", "[kube][crd-status]") {
  Writer w({.writes_per_second = 20, .burst = 2});
  std::vector<SourceObject> objects;
  for (int i = 0; i < 8; ++i) {
    std::string name = "r" + std::to_string(i);
    w.h.server.Expect("PATCH", Target(StatusPath(name)), {.parts = {"{}"}});
    objects.push_back(Route(name));
  }
  w.writer->SetEnabled(true);
  w.Observe(std::move(objects));
  REQUIRE(w.h.RunUntil([&] { return w.writer->stats().writes == 8; }));
  auto requests = w.h.server.requests();
  REQUIRE(requests.size() == 8);
  // Two at once, then one per 50 ms: six more take at least 300 ms.
  CHECK(requests[7].at - requests[0].at >= std::chrono::milliseconds(280));
}

TEST_CASE("crd status writer: losing the lead drops what is queued", "[kube][crd-status]") {
  Writer w({.writes_per_second = 1, .burst = 1});
  w.h.server.Expect("PATCH", Target(StatusPath("a")), {.parts = {"{}"}});
  std::vector<SourceObject> objects;
  objects.push_back(Route("a"));
  objects.push_back(Route("b"));
  w.writer->SetEnabled(true);
  w.Observe(std::move(objects));
  REQUIRE(w.h.RunUntil([&] { return w.writer->stats().writes == 1; }));
  CHECK(w.writer->pending() == 1);  // b waits for a token
  w.writer->SetEnabled(false);
  CHECK(w.writer->pending() == 0);
  CHECK(w.h.server.count("/b/status") == 0);
}

}  // namespace
}  // namespace portico::controlplane::testing
