// IngressStatusWriter against the scripted API server: only when enabled,
// GET → compare → PUT /status, 409 re-reads, no-ops, clearing.
#include "controlplane/kube/ingress_status_writer.h"

#include <rapidjson/document.h>

#include <catch2/catch.hpp>

#include "tests/controlplane/kube/support/client_harness.h"

namespace portico::controlplane::testing {
namespace {

constexpr char kWeb[] = "/apis/networking.k8s.io/v1/namespaces/default/ingresses/web";
constexpr char kWebStatus[] = "/apis/networking.k8s.io/v1/namespaces/default/ingresses/web/status";

std::string IngressJson(const std::string& name, const std::string& rv,
                        const std::string& lb_ingress) {
  return R"({"apiVersion":"networking.k8s.io/v1","kind":"Ingress","metadata":{"name":")" + name +
         R"(","namespace":"default","resourceVersion":")" + rv +
         R"("},"spec":{"rules":[]},"status":{"loadBalancer":{)" +
         (lb_ingress.empty() ? "" : "\"ingress\":" + lb_ingress) + "}}}";
}

std::vector<SourceObject> Load(const std::vector<std::string>& jsons) {
  std::vector<SourceObject> objects;
  for (const std::string& j : jsons) {
    SourceObject o{.origin = "test"};
    o.json.Parse(j.c_str());
    REQUIRE(o.json.IsObject());
    objects.push_back(std::move(o));
  }
  return objects;
}

struct Writer {
  ClientHarness h;
  std::unique_ptr<IngressStatusWriter> writer;
  Writer() {
    std::vector<LoadBalancerAddress> addresses;
    REQUIRE(ParsePublishAddresses("10.0.0.1,lb.example.com", &addresses).empty());
    writer = std::make_unique<IngressStatusWriter>(
        &h.loop, h.client.get(),
        IngressStatusWriterOptions{.addresses = addresses, .retry_delay_ms = 50});
    // No before_close: `writer` is destroyed before `h` (declared after it),
    // closing itself; a before_close would call it once destroyed (ASan).
  }
  bool Idle() {
    return h.RunUntil([&] { return writer->pending() == 0; });
  }
};

constexpr char kOurs[] = R"([{"ip":"10.0.0.1"},{"hostname":"lb.example.com"}])";

TEST_CASE("publish addresses: IPs become ip, the rest hostname", "[kube][status]") {
  std::vector<LoadBalancerAddress> a;
  REQUIRE(ParsePublishAddresses("10.0.0.1,LB.Example.com,::1", &a).empty());
  CHECK(a == std::vector<LoadBalancerAddress>{
                 {.ip = "10.0.0.1"}, {.hostname = "lb.example.com"}, {.ip = "::1"}});
  CHECK(ParsePublishAddresses("10.0.0.1,bad host", &a) ==
        "--publish-address entry 2 (\"bad host\") is neither an IP address nor a hostname");
  CHECK_FALSE(ParsePublishAddresses("", &a).empty());
  CHECK_FALSE(ParsePublishAddresses("a,,b", &a).empty());
}

TEST_CASE("status is written only once enabled, with the read resourceVersion", "[kube][status]") {
  Writer w;
  w.h.server.Expect("GET", Target(kWeb), {.parts = {IngressJson("web", "7", "")}});
  w.h.server.Expect("PUT", Target(kWebStatus), {.parts = {IngressJson("web", "8", kOurs)}});
  w.writer->Observe(Load({IngressJson("web", "6", "")}), {"default/web"});
  CHECK(w.writer->pending() == 0);  // not leading: nothing queued, nothing sent
  w.writer->SetEnabled(true);
  REQUIRE(w.Idle());
  CHECK(w.writer->stats().writes == 1);
  auto requests = w.h.server.requests();
  REQUIRE(requests.size() == 2);
  CHECK(requests[1].method == "PUT");
  rapidjson::Document put;
  put.Parse(requests[1].body.c_str());
  REQUIRE(put.IsObject());
  CHECK(std::string(put["metadata"]["resourceVersion"].GetString()) == "7");
  const auto& list = put["status"]["loadBalancer"]["ingress"];
  REQUIRE(list.Size() == 2);
  CHECK(std::string(list[0]["ip"].GetString()) == "10.0.0.1");
  CHECK(std::string(list[1]["hostname"].GetString()) == "lb.example.com");
}

TEST_CASE("an Ingress already right is not written", "[kube][status]") {
  Writer w;
  w.writer->SetEnabled(true);
  // Right in the cache: no request at all.
  w.writer->Observe(Load({IngressJson("web", "6", kOurs)}), {"default/web"});
  CHECK(w.writer->pending() == 0);
  // Stale in the cache, right on the server: one GET, counted as a no-op.
  w.h.server.Expect("GET", Target(kWeb), {.parts = {IngressJson("web", "7", kOurs)}});
  w.writer->Observe(Load({IngressJson("web", "6", "")}), {"default/web"});
  REQUIRE(w.Idle());
  CHECK(w.writer->stats().noops == 1);
  CHECK(w.writer->stats().writes == 0);
  CHECK(w.h.server.requests().size() == 1);
}

TEST_CASE("a 409 on the status write reads again and retries", "[kube][status]") {
  Writer w;
  w.h.server.Expect("GET", Target(kWeb), {.parts = {IngressJson("web", "7", "")}});
  w.h.server.Expect("PUT", Target(kWebStatus), {.status = 409, .parts = {"{}"}});
  w.h.server.Expect("GET", Target(kWeb), {.parts = {IngressJson("web", "9", "")}});
  w.h.server.Expect("PUT", Target(kWebStatus), {.parts = {IngressJson("web", "10", kOurs)}});
  w.writer->Observe(Load({IngressJson("web", "6", "")}), {"default/web"});
  w.writer->SetEnabled(true);
  REQUIRE(w.Idle());
  CHECK(w.writer->stats().conflicts == 1);
  CHECK(w.writer->stats().writes == 1);
  auto requests = w.h.server.requests();
  REQUIRE(requests.size() == 4);
  rapidjson::Document put;
  put.Parse(requests[3].body.c_str());
  CHECK(std::string(put["metadata"]["resourceVersion"].GetString()) == "9");
}

TEST_CASE("a failed write is tried again after the retry delay", "[kube][status]") {
  Writer w;
  w.h.server.Expect("GET", Target(kWeb), {.status = 500, .parts = {"{}"}});
  w.h.server.Expect("GET", Target(kWeb), {.parts = {IngressJson("web", "7", "")}});
  w.h.server.Expect("PUT", Target(kWebStatus), {.status = 422, .parts = {"{}"}});
  w.h.server.Expect("GET", Target(kWeb), {.parts = {IngressJson("web", "7", "")}});
  w.h.server.Expect("PUT", Target(kWebStatus), {.parts = {IngressJson("web", "8", kOurs)}});
  w.writer->Observe(Load({IngressJson("web", "6", "")}), {"default/web"});
  w.writer->SetEnabled(true);
  REQUIRE(w.h.RunUntil([&] { return w.writer->stats().writes == 1; }));
  CHECK(w.writer->stats().errors == 2);
  auto requests = w.h.server.requests();
  REQUIRE(requests.size() == 5);
  CHECK(requests[1].at - requests[0].at >= std::chrono::milliseconds(50));
  CHECK(requests[3].at - requests[2].at >= std::chrono::milliseconds(50));
}

TEST_CASE("our address is cleared from an Ingress no longer ours, others are left alone",
          "[kube][status]") {
  Writer w;
  w.h.server.Expect("GET", Target(kWeb), {.parts = {IngressJson("web", "7", kOurs)}});
  w.h.server.Expect("PUT", Target(kWebStatus), {.parts = {IngressJson("web", "8", "")}});
  w.writer->SetEnabled(true);
  w.writer->Observe(
      Load({IngressJson("web", "6", kOurs), IngressJson("theirs", "3", R"([{"ip":"192.0.2.9"}])")}),
      {});
  REQUIRE(w.Idle());
  CHECK(w.writer->stats().writes == 1);
  auto requests = w.h.server.requests();
  REQUIRE(requests.size() == 2);  // nothing for "theirs"
  rapidjson::Document put;
  put.Parse(requests[1].body.c_str());
  CHECK_FALSE(put["status"]["loadBalancer"].HasMember("ingress"));
}

TEST_CASE("disabling drops queued and in-flight writes", "[kube][status]") {
  Writer w;
  // The GET is never answered.
  w.writer->Observe(Load({IngressJson("web", "6", "")}), {"default/web"});
  w.writer->SetEnabled(true);
  REQUIRE(w.h.RunUntil([&] { return w.h.server.requests().size() == 1; }));
  w.writer->SetEnabled(false);
  CHECK(w.writer->pending() == 0);
}

}  // namespace
}  // namespace portico::controlplane::testing
